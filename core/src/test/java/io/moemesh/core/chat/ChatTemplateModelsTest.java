package io.moemesh.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Templates in the style of other model families, written inline, with outputs derived by hand from
 * jinja2's rules (trim_blocks and lstrip_blocks on, as transformers sets them).
 */
class ChatTemplateModelsTest {

    /** Llama 3.1 style: header tokens, a dated system block, tools as indented JSON, filters inside +. */
    private static final String LLAMA3 = """
            {{- bos_token }}
            {%- if not date_string is defined %}
                {%- set date_string = strftime_now("%d %b %Y") %}
            {%- endif %}
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content']|trim %}
                {%- set messages = messages[1:] %}
            {%- else %}
                {%- set system_message = "" %}
            {%- endif %}
            {{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
            {%- if tools is not none %}
                {{- "Environment: ipython\\n" }}
            {%- endif %}
            {{- "Cutting Knowledge Date: December 2023\\n" }}
            {{- "Today Date: " + date_string + "\\n\\n" }}
            {%- if tools is not none %}
                {{- "You have access to the following functions:\\n\\n" }}
                {%- for t in tools %}
                    {{- t | tojson(indent=4) }}
                    {{- "\\n\\n" }}
                {%- endfor %}
            {%- endif %}
            {{- system_message }}
            {{- "<|eot_id|>" }}
            {%- for message in messages %}
                {%- if 'tool_calls' in message %}
                    {%- set tool_call = message.tool_calls[0].function %}
                    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
                    {{- '{"name": "' + tool_call.name + '", "parameters": ' + tool_call.arguments | tojson + '}<|eot_id|>' }}
                {%- elif message.role == 'tool' %}
                    {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" + message.content | trim + "<|eot_id|>" }}
                {%- else %}
                    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {%- endif %}
            """;

    /** Qwen2.5 style ChatML with tools, tool calls and grouped tool responses. */
    private static final String QWEN25 = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0]['role'] == 'system' %}
                    {{- messages[0]['content'] }}
                {%- else %}
                    {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
                {%- endif %}
                {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
                {%- for tool in tools %}
                    {{- "\\n" }}
                    {{- tool | tojson }}
                {%- endfor %}
                {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
            {%- else %}
                {%- if messages[0]['role'] == 'system' %}
                    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
                {%- else %}
                    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
                {%- endif %}
            {%- endif %}
            {%- for message in messages %}
                {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- elif message.role == "assistant" %}
                    {{- '<|im_start|>' + message.role }}
                    {%- if message.content %}
                        {{- '\\n' + message.content }}
                    {%- endif %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if tool_call.function is defined %}
                            {%- set tool_call = tool_call.function %}
                        {%- endif %}
                        {{- '\\n<tool_call>\\n{"name": "' }}
                        {{- tool_call.name }}
                        {{- '", "arguments": ' }}
                        {{- tool_call.arguments | tojson }}
                        {{- '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == "tool" %}
                    {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
                        {{- '<|im_start|>user' }}
                    {%- endif %}
                    {{- '\\n<tool_response>\\n' }}
                    {{- message.content }}
                    {{- '\\n</tool_response>' }}
                    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                        {{- '<|im_end|>\\n' }}
                    {%- endif %}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    /** The classic multi-line ChatML template: trim_blocks drops the newline after a block tag, never after a print tag. */
    private static final String CHATML = """
            {% for message in messages %}
            {{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}
            {% endfor %}
            {% if add_generation_prompt %}
            {{ '<|im_start|>assistant\\n' }}
            {% endif %}
            """;

    private static final Clock JULY_26_2024 =
            Clock.fixed(LocalDateTime.of(2024, 7, 26, 10, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    private static Map<String, Object> msg(String role, Object content) {
        return Map.of("role", role, "content", content);
    }

    @Test
    void llama3SystemAndUser() {
        ChatTemplate t = ChatTemplate.parse(LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"))
                .withClock(JULY_26_2024);
        String out = t.render(new ChatRequest(List.of(msg("system", "  You are a bot.  "), msg("user", "Hi there ")), null, true, null));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "You are a bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void llama3ToolsToolCallAndToolResult() {
        ChatTemplate t = ChatTemplate.parse(LLAMA3, Map.of("bos_token", "<|begin_of_text|>")).withClock(JULY_26_2024);
        List<Map<String, Object>> tools = List.of(ordered("type", "function", "function", ordered(
                "name", "get_time", "description", "Current time",
                "parameters", ordered("type", "object", "properties", Map.of("tz", Map.of("type", "string"))))));
        List<Map<String, Object>> messages = List.of(
                msg("user", "What time is it in Oslo?"),
                Map.of("role", "assistant", "content", "", "tool_calls",
                        List.of(Map.of("type", "function", "function", ordered("name", "get_time", "arguments", Map.of("tz", "Europe/Oslo"))))),
                msg("tool", "12:00\n"));
        String out = t.render(new ChatRequest(messages, tools, true, null));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "You have access to the following functions:\n\n"
                + "{\n"
                + "    \"type\": \"function\",\n"
                + "    \"function\": {\n"
                + "        \"name\": \"get_time\",\n"
                + "        \"description\": \"Current time\",\n"
                + "        \"parameters\": {\n"
                + "            \"type\": \"object\",\n"
                + "            \"properties\": {\n"
                + "                \"tz\": {\n"
                + "                    \"type\": \"string\"\n"
                + "                }\n"
                + "            }\n"
                + "        }\n"
                + "    }\n"
                + "}\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat time is it in Oslo?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_time\", \"parameters\": {\"tz\": \"Europe/Oslo\"}}<|eot_id|>"
                + "<|start_header_id|>ipython<|end_header_id|>\n\n12:00<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }

    @Test
    void qwen25ToolsWithCallAndTwoResponses() {
        List<Map<String, Object>> tools = List.of(ordered("type", "function", "function", ordered(
                "name", "add", "description", "Add two numbers",
                "parameters", ordered("type", "object",
                        "properties", ordered("a", Map.of("type", "integer"), "b", Map.of("type", "integer")),
                        "required", List.of("a", "b")))));
        List<Map<String, Object>> messages = List.of(
                msg("user", "What's 2+2?"),
                Map.of("role", "assistant", "content", "", "tool_calls",
                        List.of(Map.of("type", "function", "function", ordered("name", "add", "arguments", ordered("a", 2, "b", 2))))),
                msg("tool", "4"),
                msg("tool", "(double-checked)"),
                msg("assistant", "It is 4."));
        String out = ChatTemplate.parse(QWEN25).render(new ChatRequest(messages, tools, false, null));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n"
                + "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"}}, "
                + "\"required\": [\"a\", \"b\"]}}}\n</tools>\n\n"
                + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
                + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWhat's 2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 2}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n4\n</tool_response>\n<tool_response>\n(double-checked)\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\nIt is 4.<|im_end|>\n", out);
    }

    @Test
    void qwen25WithAndWithoutSystemMessage() {
        ChatTemplate t = ChatTemplate.parse(QWEN25);
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                t.render(new ChatRequest(List.of(msg("system", "You are terse."), msg("user", "Hi")), null, true, null)));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                t.render(new ChatRequest(List.of(msg("user", "Hi")), null, true, null)));
    }

    @Test
    void multiLineChatMlKeepsTheNewlineAfterEachPrint() {
        String out = ChatTemplate.parse(CHATML).render(
                new ChatRequest(List.of(msg("system", "Be brief."), msg("user", "Hi")), null, true, null));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n\n<|im_start|>user\nHi<|im_end|>\n\n<|im_start|>assistant\n\n", out);
    }

    /** A map that keeps insertion order, as JSON objects (and Python dicts) do; tojson depends on it. */
    private static Map<String, Object> ordered(Object... keyValues) {
        return ChatTemplateTest.map(keyValues);
    }
}
