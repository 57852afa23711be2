package io.moemesh.core.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ExpertLoadTest {

    @Test
    void readsTheRoutersJsonIgnoringOtherFields() {
        ExpertLoad load = ExpertLoad.parse("""
                {"model": "qwen3", "layers": 3, "experts": 2, "since": "2025-01-01T00:00:00Z",
                 "tokens": [[5, 7], [0, 0], [1.5e3, 2]], "extra": {"nested": [1, 2]}}
                """, ExpertLoad.FROM_LOAD, ExpertLoad.FROM_LOAD);
        assertEquals(3, load.layers());
        assertEquals(2, load.experts());
        assertEquals(7, load.tokens(0, 1));
        assertEquals(0, load.layerTokens(1), "a dense layer is a row of zeros");
        assertEquals(1500, load.tokens(2, 0));
        assertEquals(1514, load.totalTokens());
    }

    @Test
    void readsPrometheusTextWhateverTheLabelOrder() {
        ExpertLoad load = ExpertLoad.parse("""
                # HELP moemesh_router_expert_tokens_total Token rows routed to an expert
                # TYPE moemesh_router_expert_tokens_total counter
                moemesh_router_expert_tokens_total{expert="3",layer="0",} 123.0
                moemesh_router_expert_tokens_total{layer="1",expert="0"} 4.0 1700000000000
                moemesh_router_expert_tokens_total{application="router", layer = "1" , expert="3",} 1.5E3
                moemesh_router_expert_tokens_total_created{expert="3",layer="0",} 1.7E9
                moemesh_router_steps_total 99.0
                http_server_requests_seconds_count{method="GET",uri="/q/metrics",} 3.0
                """, ExpertLoad.FROM_LOAD, ExpertLoad.FROM_LOAD);
        assertEquals(2, load.layers(), "layers: the largest seen + 1");
        assertEquals(4, load.experts(), "experts: the largest seen + 1");
        assertEquals(123, load.tokens(0, 3));
        assertEquals(4, load.tokens(1, 0));
        assertEquals(1500, load.tokens(1, 3));
        assertEquals(1627, load.totalTokens(), "other metrics, _created and comments are not tokens");
    }

    @Test
    void prometheusTakesTheModelShapeWhenToldItAndSumsRepeatedSeries() {
        String scrape = """
                moemesh_router_expert_tokens_total{layer="0",expert="1",} 10.0
                moemesh_router_expert_tokens_total{layer="0",expert="1",instance="router-2"} 5.0
                """;
        ExpertLoad load = ExpertLoad.parse(scrape, 4, 8);
        assertEquals(4, load.layers());
        assertEquals(8, load.experts());
        assertEquals(15, load.tokens(0, 1), "two routers' counters of one expert add up");
        assertEquals(15, load.totalTokens());
    }

    @Test
    void bothFormsOfOneLoadAreTheSameLoad() {
        double[][] tokens = ZipfLoads.tokens(3, 16, 1.1, true, 5);
        StringBuilder json = new StringBuilder("{\"layers\":3,\"experts\":16,\"tokens\":[");
        StringBuilder text = new StringBuilder();
        for (int l = 0; l < 3; l++) {
            json.append(l > 0 ? "," : "").append("[");
            for (int e = 0; e < 16; e++) {
                json.append(e > 0 ? "," : "").append((long) tokens[l][e]);
                text.append("moemesh_router_expert_tokens_total{expert=\"").append(e).append("\",layer=\"").append(l)
                        .append("\",} ").append(tokens[l][e]).append('\n');
            }
            json.append("]");
        }
        json.append("]}");
        ExpertLoad fromJson = ExpertLoad.parse(json.toString(), ExpertLoad.FROM_LOAD, ExpertLoad.FROM_LOAD);
        ExpertLoad fromText = ExpertLoad.parse(text.toString(), ExpertLoad.FROM_LOAD, ExpertLoad.FROM_LOAD);
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(tokens[l], fromJson.layer(l));
            assertArrayEquals(tokens[l], fromText.layer(l));
        }
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("   \n", "the load is empty"),
                Arguments.of("{\"layers\": 2,", "not valid JSON"),
                Arguments.of("[1, 2]", "expected a JSON object"),
                Arguments.of("{\"experts\": 2, \"tokens\": []}", "\"layers\" must be a whole number >= 1, got null"),
                Arguments.of("{\"layers\": 1.5, \"experts\": 2, \"tokens\": []}", "\"layers\" must be a whole number"),
                Arguments.of("{\"layers\": 2, \"experts\": 2, \"tokens\": [[1, 2]]}", "must be an array of 2 rows"),
                Arguments.of("{\"layers\": 1, \"experts\": 2, \"tokens\": [[1, 2, 3]]}", "tokens[0] must be an array of 2"),
                Arguments.of("{\"layers\": 1, \"experts\": 2, \"tokens\": [[1, \"x\"]]}", "tokens[0][1] is not a number"),
                Arguments.of("{\"layers\": 1, \"experts\": 2, \"tokens\": [[1, -4]]}", "tokens[0][1]: a token count must be"),
                Arguments.of("up 1\nfoo_total 3\n", "no moemesh_router_expert_tokens_total samples"),
                Arguments.of("moemesh_router_expert_tokens_total{layer=\"0\"} 1.0", "no 'expert' label"),
                Arguments.of("moemesh_router_expert_tokens_total{layer=\"0\",expert=\"x\"} 1.0",
                        "label expert=\"x\" is not a whole number"),
                Arguments.of("\nmoemesh_router_expert_tokens_total{layer=\"0\",expert=\"1\"} lots",
                        "line 2: sample value 'lots' is not a number"),
                Arguments.of("moemesh_router_expert_tokens_total{layer=\"0\",expert=\"1\"} NaN", "a token count must be"),
                Arguments.of("moemesh_router_expert_tokens_total{layer=\"0\",expert=\"1} 1.0", "unterminated label value"),
                Arguments.of("moemesh_router_expert_tokens_total{layer=\"0\" expert=\"1\"} 1.0", "expected , or }"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedLoadsAreRefusedNamingTheProblem(String text, String expected) {
        String message = assertThrows(IllegalArgumentException.class,
                () -> ExpertLoad.parse(text, ExpertLoad.FROM_LOAD, ExpertLoad.FROM_LOAD)).getMessage();
        assertTrue(message.contains(expected), "'" + message + "' should say '" + expected + "'");
    }

    @Test
    void aShapeAskedForMustMatchTheLoad() {
        String json = "{\"layers\": 2, \"experts\": 3, \"tokens\": [[1, 2, 3], [4, 5, 6]]}";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertLoad.parse(json, 48, ExpertLoad.FROM_LOAD))
                .getMessage().contains("the load has 2 layers, not the 48 asked for"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertLoad.parse(json, 2, 128))
                .getMessage().contains("3 experts per layer, not the 128"));
        String text = "moemesh_router_expert_tokens_total{layer=\"5\",expert=\"1\"} 1.0";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExpertLoad.parse(text, 4, 8))
                .getMessage().contains("layer 5, expert 1 lies outside the 4 layers x 8 experts"));
    }
}
