package io.moemesh.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moemesh.core.response.ToolCall;
import io.moemesh.gateway.api.ApiException;
import io.moemesh.gateway.api.ChatCompletionParser;
import io.moemesh.gateway.engine.GatewayEngine;
import io.moemesh.gateway.serving.ChoiceDelta;
import io.moemesh.gateway.serving.RunListener;
import io.moemesh.gateway.serving.ServingRequest;
import io.moemesh.gateway.serving.ServingRun;
import io.moemesh.gateway.serving.Usage;
import io.moemesh.proto.gateway.v1.ChatMessage;
import io.moemesh.proto.gateway.v1.GenerateRequest;
import io.moemesh.proto.gateway.v1.GenerateResponse;
import io.smallrye.mutiny.Multi;

import java.util.List;

/**
 * The chat form of the gRPC Generate call: the request becomes the JSON body of POST /v1/chat/completions, so it is
 * parsed, checked and rendered by the same code, and the answer streams with the same reasoning/content/tool-call
 * split.
 */
final class ChatOverGrpc {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatOverGrpc() {
    }

    static Multi<GenerateResponse> generate(GatewayEngine engine, GenerateRequest request) {
        ServingRequest serving;
        try {
            serving = ChatCompletionParser.servingRequest(body(request), engine);
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(GrpcErrors.of(e));
        }
        return Multi.createFrom().emitter(emitter -> {
            try {
                ServingRun run = ServingRun.start(engine, serving, new RunListener() {
                    @Override
                    public void onDelta(ChoiceDelta d) {
                        emitter.emit(GenerateResponse.newBuilder().setChoice(d.choice()).setReasoning(d.reasoning())
                                .setContent(d.content()).addAllToolCalls(toolCalls(d.toolCalls())).build());
                    }

                    @Override
                    public void onChoiceFinished(int choice, String finishReason) {
                        emitter.emit(GenerateResponse.newBuilder().setChoice(choice).setFinishReason(finishReason).build());
                    }

                    @Override
                    public void onDone(Usage usage) {
                        emitter.emit(GenerateResponse.newBuilder().setUsage(io.moemesh.proto.gateway.v1.Usage.newBuilder()
                                .setPromptTokens(usage.promptTokens()).setCompletionTokens(usage.completionTokens())
                                .setReasoningTokens(usage.reasoningTokens())).build());
                        emitter.complete();
                    }

                    @Override
                    public void onError(RuntimeException error) {
                        emitter.fail(GrpcErrors.of(error));
                    }
                });
                emitter.onTermination(run::cancel);
            } catch (RuntimeException e) {
                emitter.fail(GrpcErrors.of(e));
            }
        });
    }

    private static List<io.moemesh.proto.gateway.v1.ToolCall> toolCalls(List<ToolCall> calls) {
        return calls.stream().map(c -> io.moemesh.proto.gateway.v1.ToolCall.newBuilder().setId(c.id()).setName(c.name())
                .setArgumentsJson(c.argumentsJson()).setIndex(c.index()).build()).toList();
    }

    /** The proto request as the OpenAI JSON body it stands for. */
    static ObjectNode body(GenerateRequest r) {
        ObjectNode body = JSON.createObjectNode();
        if (!r.getModel().isEmpty()) {
            body.put("model", r.getModel());
        }
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : r.getMessagesList()) {
            ObjectNode message = messages.addObject().put("role", m.getRole()).put("content", m.getContent());
            if (!m.getReasoningContent().isEmpty()) {
                message.put("reasoning_content", m.getReasoningContent());
            }
            if (!m.getToolCallId().isEmpty()) {
                message.put("tool_call_id", m.getToolCallId());
            }
            if (m.getToolCallsCount() > 0) {
                ArrayNode calls = message.putArray("tool_calls");
                m.getToolCallsList().forEach(c -> calls.addObject().put("id", c.getId()).put("type", "function")
                        .putObject("function").put("name", c.getName()).put("arguments", c.getArgumentsJson()));
            }
            if (m.getPrefix()) {
                message.put("prefix", true);
            }
        }
        if (!r.getToolsJson().isEmpty()) {
            try {
                body.set("tools", JSON.readTree(r.getToolsJson()));
            } catch (Exception e) {
                throw ApiException.invalid("tools_json", "'tools_json' is not valid JSON: " + e.getMessage());
            }
        }
        if (!r.getToolChoice().isEmpty()) {
            body.put("tool_choice", r.getToolChoice());
        }
        if (r.hasEnableThinking()) {
            body.putObject("chat_template_kwargs").put("enable_thinking", r.getEnableThinking());
        }
        if (r.hasThinkingBudget()) {
            body.put("thinking_budget", r.getThinkingBudget());
        }
        if (r.getMaxNewTokens() > 0) {
            body.put("max_tokens", r.getMaxNewTokens());
        }
        r.getStopList().forEach(body.withArray("stop")::add);
        if (r.getN() > 0) {
            body.put("n", r.getN());
        }
        body.put("ignore_eos", r.getIgnoreEos());
        body.put("continue_final_message", r.getContinueFinalMessage());
        if (r.getLogitBiasCount() > 0) {
            ObjectNode bias = body.putObject("logit_bias");
            r.getLogitBiasMap().forEach((id, b) -> bias.put(String.valueOf(id), b));
        }
        var s = r.getSampling();
        if (s.hasTemperature()) body.put("temperature", s.getTemperature());
        if (s.hasTopK()) body.put("top_k", s.getTopK());
        if (s.hasTopP()) body.put("top_p", s.getTopP());
        if (s.hasMinP()) body.put("min_p", s.getMinP());
        if (s.hasPresencePenalty()) body.put("presence_penalty", s.getPresencePenalty());
        if (s.hasFrequencyPenalty()) body.put("frequency_penalty", s.getFrequencyPenalty());
        if (s.hasRepetitionPenalty()) body.put("repetition_penalty", s.getRepetitionPenalty());
        if (s.hasSeed()) body.put("seed", s.getSeed());
        return body;
    }
}
