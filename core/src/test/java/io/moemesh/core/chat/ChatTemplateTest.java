package io.moemesh.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interpreter against jinja2 semantics, in transformers' configuration (trim_blocks and
 * lstrip_blocks on). Every expected string was worked out from jinja2's rules and checked against
 * Python jinja2 3.1 in that configuration.
 */
class ChatTemplateTest {

    /** Renders with alternating name/value pairs as the context (values may be null). */
    static String render(String template, Object... keyValues) {
        Map<String, Object> context = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            context.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ChatTemplate.parse(template).render(context);
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Nested
    class Whitespace {

        @Test
        void minusStripsAllWhitespaceOnItsSide() {
            assertEquals("abc", render("a  {%- if true -%}  b  {%- endif -%}  c"));
            assertEquals("a\nb", render("a\n{{- '' }}\n  {{- '\nb' }}"));
            assertEquals("xy", render("x\n   {#- comment -#}   y"));
        }

        @Test
        void trimBlocksDropsTheFirstNewlineAfterABlockOrComment() {
            assertEquals("x\ny", render("{% if true %}\nx\n{% endif %}\ny"));
            assertEquals("line1\nline2", render("line1\n{# comment #}\nline2"));
            // only one newline goes, and never after {{ }}
            assertEquals("\nA\n", render("{% if true %}\n\n{{ 'A' }}\n{% endif %}\n"));
        }

        @Test
        void lstripBlocksDropsIndentationBeforeBlockTagsOnly() {
            assertEquals("a\n    b\nc", render("a\n    {% if true %}\n    b\n    {% endif %}\nc"));
            assertEquals("x   \n  yes\n  y", render("{{ 'x' }}   \n  {% if true %}\n  yes\n  {% endif %}\n  {{ 'y' }}\n"));
            // text before the tag on the same line keeps its spaces
            assertEquals("x  y", render("x  {% if true %}y{% endif %}"));
            assertEquals("  x", render("  {{ 'x' }}"));
        }

        @Test
        void plusSignDisablesLstripAndTrim() {
            assertEquals("  x\nz", render("  {%+ if true %}x{% endif +%}\nz"));
        }

        @Test
        void oneTrailingNewlineOfTheTemplateIsDropped() {
            assertEquals("a", render("a\n"));
            assertEquals("a\n", render("a\n\n"));
            assertEquals("a\nb", render("a\r\nb\r\n"));
        }

        @Test
        void anOpenerAtTheVeryEndIsIgnoredAsJinjaDoes() {
            assertEquals("text", render("text{#"));
            assertEquals("text", render("text{% raw %}\n"));
        }

        @Test
        void rawBlocksAreNotInterpreted() {
            assertEquals("{{ not parsed }}x", render("{% raw %}{{ not parsed }}{% endraw %}\n{% raw -%}   x   {%- endraw %}"));
        }
    }

    @Nested
    class Loops {

        @Test
        void loopVariables() {
            assertEquals("1032TrueFalse3[|2];2121FalseFalse3[1|3];3210FalseTrue3[2|];",
                    render("{% for i in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
                            + "{{ loop.first }}{{ loop.last }}{{ loop.length }}[{{ loop.previtem }}|{{ loop.nextitem }}];{% endfor %}"));
            assertEquals("a;b;a;", render("{% for i in [1,2,3] %}{{ loop.cycle('a', 'b') }};{% endfor %}"));
        }

        @Test
        void filterCountsOnlyKeptItemsAndElseRunsWhenEmpty() {
            List<Object> messages = List.of(map("role", "system"), map("role", "user"), map("role", "assistant"));
            assertEquals("1/2:user,2/2:assistant", render(
                    "{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }}:{{ m.role }}"
                            + "{{ ',' if not loop.last }}{% else %}none{% endfor %}", "messages", messages));
            assertEquals("empty", render("{% for x in [] %}a{% else %}empty{% endfor %}"));
        }

        @Test
        void breakAndContinue() {
            assertEquals("13", render("{% for i in [1,2,3,4] %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}"
                    + "{% if i == 3 %}{% break %}{% endif %}{% endfor %}"));
        }

        @Test
        void tupleUnpacking() {
            assertEquals("b=1;a=[2];xy", render("{% for k, v in {'b': 1, 'a': [2]}.items() %}{{ k }}={{ v }};{% endfor %}"
                    + "{% for k, v in {'x': 'y'}|items %}{{ k ~ v }}{% endfor %}"));
            assertEquals("123", render("{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}"));
            assertEquals("21", render("{% set a, b = 'xy' %}{{ b == 'y' and 2 }}{{ a == 'x' and 1 }}"));
        }

        @Test
        void innerLoopShadowsOuterLoopVariable() {
            assertEquals("12|1 1|2 ", render("{% for row in [[1, 2], [3]] %}{% for x in row %}{{ loop.index }}{% endfor %}"
                    + "|{{ loop.index }} {% endfor %}"));
        }

        @Test
        void recursiveLoop() {
            assertEquals("<1<2>><1>", render(
                    "{% for x in [{'c': [{'c': []}]}, {'c': []}] recursive %}<{{ loop.depth }}{{ loop(x.c) }}>{% endfor %}"));
        }
    }

    @Nested
    class Assignment {

        @Test
        void setInALoopStaysThereButNamespaceCarriesOut() {
            assertEquals("no yes 3", render("{% set found = 'no' %}{% set ns = namespace(found='no', n=0) %}"
                    + "{% for m in ['a', 'b', 'c'] %}{% set found = 'yes' %}{% if m == 'b' %}{% set ns.found = 'yes' %}{% endif %}"
                    + "{% set ns.n = ns.n + 1 %}{% endfor %}{{ found }} {{ ns.found }} {{ ns.n }}"));
        }

        @Test
        void eachIterationStartsFromTheOuterValue() {
            assertEquals("111", render("{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = 2 %}{% endfor %}{{ x }}"));
        }

        @Test
        void setInsideIfIsVisibleAfterIt() {
            assertEquals("[1]", render("{% if true %}{% set x = 1 %}{% endif %}[{{ x }}]"));
        }

        @Test
        void blockSetWithFilter() {
            assertEquals("HI X", render("{% set t | upper %}hi {{ 'x' }}{% endset %}{{ t }}"));
            assertEquals("[b]", render("{% set y %}{% set x = 1 %}b{% endset %}[{{ x }}{{ y }}]"));
        }

        @Test
        void assigningAnAttributeOfANonNamespaceFails() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> render("{% set d = {} %}{% set d.x = 1 %}"));
            assertEquals("cannot assign attribute on non-namespace object", e.detail());
        }

        @Test
        void withAndFilterBlocks() {
            assertEquals("21[1]", render("{% set x = 1 %}{% with x = 2, y = x %}{{ x }}{{ y }}{% endwith %}[{{ x }}]"));
            assertEquals("bBC", render("{% filter upper | replace('A', 'b') %}abc{% endfilter %}"));
        }

        @Test
        void listAppendIsAllowed() {
            // transformers' immutable sandbox would refuse; templates for other runtimes use it
            assertEquals("[1, 2]", render("{% set l = [1] %}{% set _ = l.append(2) %}{{ l }}"));
        }
    }

    @Nested
    class Expressions {

        @Test
        void slicing() {
            assertEquals("[4, 3, 2, 1] [2, 3, 4] [1, 2, 3] 3 [1, 3] dlrow ,olleH llo rld b\uD83D\uDE00a",
                    render("{{ items[::-1] }} {{ items[1:] }} {{ items[:-1] }} {{ items[-2] }} {{ items[::2] }} "
                                    + "{{ text[::-1] }} {{ text[2:5] }} {{ text[-3:] }} {{ emoji[::-1] }}",
                            "items", List.of(1, 2, 3, 4), "text", "Hello, world", "emoji", "a\uD83D\uDE00b"));
            assertEquals("3\uD83D\uDE00", render("{{ s|length }}{{ s[1] }}", "s", "a\uD83D\uDE00b"));
        }

        @Test
        void arithmeticKeepsPythonTypes() {
            assertEquals("3 -4 1 2 1024 3.5 3.0 ababab ab 12 [1, 2] 3.0",
                    render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 6 / 2 }} "
                            + "{{ 3 * 'ab' }} {{ 'a' + 'b' }} {{ 1 ~ 2 }} {{ [1] + [2] }} {{ 1 + 2.0 }}"));
            // jinja2 quirks: ** is left-associative and unary minus binds tighter
            assertEquals("64 4", render("{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"));
            assertEquals("5", render("{{ n + 2 }}", "n", 3));
            // jinja2 writes a folded negative constant into Python without parentheses: -(3 ** n)
            assertEquals("-9 9", render("{{ -3 ** n }} {{ -3 ** 2 }}", "n", 2));
            assertEquals("0.0 -0.0", render("{{ -3 % 1.5 }} {{ 3 % -1.5 }}"));
        }

        @Test
        void valuesPrintAsPythonStr() {
            assertEquals("[1, 'a', None, True, 1.5, {'k': (1,)}] 1.0 2.5 1e+16 0.30000000000000004 None True {'a': \"it's\"}",
                    render("{{ [1, 'a', none, true, 1.5, {'k': (1,)}] }} {{ 1.0 }} {{ 10 / 4 }} {{ 1e16 }} {{ 0.1 + 0.2 }} "
                            + "{{ none }} {{ true }} {{ {'a': 'it\\'s'} }}"));
            assertEquals("(1, 2)", render("{{ 1, 2 }}"));
        }

        @Test
        void comparisonsAndLogic() {
            assertEquals("TrueFalse20xTrueFalseTrue", render(
                    "{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 1 and 2 }}{{ 0 and 2 }}{{ 0 or 'x' }}{{ not 0 }}{{ 1 not in [1] }}{{ 'b' in 'abc' }}"));
            assertEquals("TrueFalseTrue", render("{{ 1 == 1.0 }}{{ [1] == (1,) }}{{ true == 1 }}"));
            assertEquals("123", render("{{ 1 if true else 2 }}{{ 1 if false else 2 }}{{ 1 if false else 2 if false else 3 }}"));
        }

        @Test
        void stringLiteralsUnescapeLikePython() {
            assertEquals("\u00e9\n\tA\\d", render("{{ '\\u00e9\\n\\t\\x41' }}{{ '\\d' }}"));
            assertEquals("ab", render("{{ 'a' 'b' }}"));
        }

        @Test
        void dictAttributeLookupPrefersMethodsLikeJinja() {
            Map<String, Object> d = map("items", List.of(1), "name", "n");
            assertEquals("[1]", render("{{ d['items'] }}", "d", d));
            assertEquals("n", render("{{ d.name }}", "d", d));
            assertTrue(render("{{ d.items }}", "d", d).startsWith("<built-in method items"));
        }
    }

    @Nested
    class StringMethods {

        @Test
        void prefixesAndStripping() {
            assertEquals("True True tool_response x|x\n|\nx|", render(
                    "{{ s.startswith('<tool') }} {{ s.endswith(('x', '>')) }} {{ s.strip('<>') }} {{ '\\n\\n  x \\n'.strip() }}|"
                            + "{{ '\\nx\\n'.lstrip('\\n') }}|{{ '\\nx\\n'.rstrip('\\n') }}|", "s", "<tool_response>"));
        }

        @Test
        void splitting() {
            assertEquals("['a', 'b', 'c'] ['a', 'b', 'c'] ['a', 'b,c'] ['a,b', 'c'] answer", render(
                    "{{ 'a  b\\tc\\n'.split() }} {{ 'a,b,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} "
                            + "{{ x.split('</think>')[-1].lstrip('\\n') }}", "x", "<think>\nr\n</think>\n\nanswer"));
            assertEquals("['a', 'b c d']", render("{{ 'a b c d'.split(None, 1) }}"));
        }

        @Test
        void otherMethods() {
            assertEquals("bba Hello World Hello ABab 1-n a-b 1 2 2", render(
                    "{{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'Ab'.upper() }}"
                            + "{{ 'Ab'.lower() }} {{ '{}-{name}'.format(1, name='n') }} {{ '-'.join(['a', 'b']) }} "
                            + "{{ 'banana'.find('an') }} {{ 'banana'.count('an') }} {{ 'banana'.index('n') }}"));
            assertEquals("They'Re", render("{{ \"they're\".title() }}"));
        }

        @Test
        void dictAndListMethods() {
            assertEquals("1None2['a'][1]1", render(
                    "{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b') }}{{ {'a': 1}.get('b', 2) }}{{ {'a': 1}.keys()|list }}"
                            + "{{ {'a': 1}.values()|list }}{{ [1, 2, 3].index(2) }}"));
        }
    }

    @Nested
    class ToJson {

        @Test
        void matchesPythonJsonDumpsWithEnsureAsciiOff() {
            Map<String, Object> data = map("name", "caf\u00e9", "list", java.util.Arrays.asList(1, 2.5, null, true, false),
                    "nested", map("q", "say \"hi\"\n", "emoji", "\uD83D\uDE00"), "n", 3L);
            assertEquals("{\"name\": \"caf\u00e9\", \"list\": [1, 2.5, null, true, false], "
                    + "\"nested\": {\"q\": \"say \\\"hi\\\"\\n\", \"emoji\": \"\uD83D\uDE00\"}, \"n\": 3}", render("{{ data | tojson }}", "data", data));
        }

        @Test
        void indentSwitchesTheItemSeparator() {
            Map<String, Object> data = map("a", List.of(1, map("b", null)), "c", Map.of());
            assertEquals("{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {}\n}",
                    render("{{ data | tojson(indent=2) }}", "data", data));
        }

        @Test
        void ensureAsciiSortKeysAndSeparators() {
            Map<String, Object> data = map("z", "\u00e9\uD83D\uDE00", "a", List.of(1, 2));
            assertEquals("{\"z\": \"\\u00e9\\ud83d\\ude00\", \"a\": [1, 2]} {\"a\":[1,2],\"z\":\"\u00e9\uD83D\uDE00\"}",
                    render("{{ data | tojson(ensure_ascii=true) }} {{ data | tojson(sort_keys=true, separators=(',', ':')) }}", "data", data));
        }

        @Test
        void floatsAreWrittenAsPythonRepr() {
            assertEquals("[1.0, 1e+20, 0.1, -0.0, 1.5e-07, 1.2345678901234568e+17, 5e-324]",
                    render("{{ [1.0, 1e20, 0.1, -0.0, 1.5e-7, 123456789012345678.0, 5e-324] | tojson }}"));
        }

        @Test
        void undefinedIsNotSerialisable() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{{ nope | tojson }}"));
            assertEquals("Object of type Undefined is not JSON serializable", e.detail());
        }
    }

    @Nested
    class FiltersAndTests {

        @Test
        void stringFilters() {
            assertEquals("Hi|hi|HELLO|hello|Hello world|Hello Big-World|a+b+c|bba", render(
                    "{{ '  Hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'hello' | upper }}|{{ 'HELLO' | lower }}|"
                            + "{{ 'hello world' | capitalize }}|{{ 'hello big-world' | title }}|{{ 'a-b-c' | replace('-', '+') }}|"
                            + "{{ 'aaa' | replace('a', 'b', 2) }}"));
        }

        @Test
        void sequenceFilters() {
            assertEquals("1, 2, 3|1|3|[3, 2, 1]|cba|3|3|['a', 'b']|3!", render(
                    "{{ [1, 2, 3] | join(', ') }}|{{ [1, 2, 3] | first }}|{{ [1, 2, 3] | last }}|{{ [1, 2, 3] | reverse | list }}|"
                            + "{{ 'abc' | reverse }}|{{ [1, 2, 3] | length }}|{{ 'abc' | count }}|{{ 'ab' | list }}|{{ 3 | string ~ '!' }}"));
        }

        @Test
        void numberAndDefaultFilters() {
            assertEquals("43|3|7|2.5|0.0|dflt|empty|2.57|2.0|3", render(
                    "{{ '42' | int + 1 }}|{{ '3.9' | int }}|{{ 'x' | int(7) }}|{{ '2.5' | float }}|{{ 'x' | float }}|"
                            + "{{ undefined_var | default('dflt') }}|{{ '' | d('empty', true) }}|{{ 2.567 | round(2) }}|"
                            + "{{ 2.5 | round }}|{{ -3 | abs }}"));
        }

        @Test
        void selectRejectMap() {
            List<Object> users = List.of(map("name", "ann", "active", true, "role", "admin"),
                    map("name", "bob", "active", false, "role", "user"), map("name", "cy", "role", "admin"));
            assertEquals("ann|['bob', 'cy']|2|[1, 3]|[1, 3]", render(
                    "{{ users | selectattr('active') | map(attribute='name') | join(',') }}|"
                            + "{{ users | rejectattr('active') | map(attribute='name') | list }}|"
                            + "{{ users | selectattr('role', 'equalto', 'admin') | list | length }}|"
                            + "{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3, 4] | reject('even') | list }}", "users", users));
        }

        @Test
        void sortUniqueDictsortEscape() {
            List<Object> users = List.of(map("n", "x", "age", 30), map("n", "y", "age", 20));
            assertEquals("['b', 'A', 'c']|['A', 'b', 'c']|[3, 2, 1]|yx|[('a', 1), ('b', 2)]|x|&lt;a href=&#34;x&#34;&gt;", render(
                    "{{ ['b', 'A', 'a', 'c'] | unique | list }}|{{ ['b', 'A', 'c'] | sort | list }}|{{ [3, 1, 2] | sort(reverse=true) | list }}|"
                            + "{{ users | sort(attribute='age') | map(attribute='n') | join }}|{{ {'b': 2, 'a': 1} | dictsort }}|"
                            + "{{ 'x' | safe }}|{{ '<a href=\"x\">' | e }}", "users", users));
        }

        @Test
        void indent() {
            assertEquals("line1\n  line2\n\n  line4|    a\n    b|a\n  \n  b", render(
                    "{{ 'line1\\nline2\\n\\nline4' | indent(2) }}|{{ 'a\\nb' | indent(4, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}"));
        }

        @Test
        void tests() {
            assertEquals("TrueFalseTrueTrueTrueTrueTrueTrueFalse", render(
                    "{{ 'a' is string }}{{ 1 is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 'a' is iterable }}"
                            + "{{ x is iterable }}{{ {} is sequence }}{{ 'a' is sequence }}{{ 1 is sequence }}"));
            assertEquals("TrueFalseTrueFalseTrueFalseTrueFalse", render(
                    "{{ 1.0 is float }}{{ 1 is float }}{{ true is boolean }}{{ 1 is boolean }}{{ true is true }}{{ 1 is true }}"
                            + "{{ false is false }}{{ 0 is false }}"));
            assertEquals("TrueFalseTrueTrueTrueFalseTrueTrueTrueFalse", render(
                    "{{ 3 is odd }}{{ 3 is even }}{{ 6 is divisibleby 3 }}{{ 'a' is in 'abc' }}{{ 1 is eq 1 }}{{ 1 is equalto 2 }}"
                            + "{{ none is none }}{{ x is undefined }}{{ true is number }}{{ true is integer }}"));
            assertEquals("TrueFalse", render("{{ tools is not none and tools is defined }}{{ none is not none }}", "tools", List.of()));
        }
    }

    @Nested
    class Macros {

        @Test
        void defaultsAndKeywordArguments() {
            assertEquals("Hello, Ann! Hi, Bob! Hello, Cy? Yo, Di!", render(
                    "{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}{{ punct }}{% endmacro %}"
                            + "{{ greet('Ann') }} {{ greet('Bob', 'Hi') }} {{ greet('Cy', punct='?') }} {{ greet(greeting='Yo', name='Di') }}"));
        }

        @Test
        void callerVarargsAndKwargs() {
            assertEquals("[<1>][<2>](){}", render("{% macro list(items) %}{% for i in items %}[{{ caller(i) }}]{% endfor %}"
                    + "{{ varargs }}{{ kwargs }}{% endmacro %}{% call(item) list([1, 2]) %}<{{ item }}>{% endcall %}"));
            assertEquals("(1, 2){'a': 3}", render("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, a=3) }}"));
        }

        @Test
        void macrosSeeTemplateVariablesAtCallTimeButNotCallerLocals() {
            assertEquals("2", render("{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}"));
            assertEquals("[]", render("{% macro m() %}[{{ i }}]{% endmacro %}{% for i in [1] %}{{ m() }}{% endfor %}"));
        }
    }

    @Nested
    class UndefinedValues {

        @Test
        void undefinedIsLenientForPrintingTestingAndIterating() {
            assertEquals("[][False][0][][][False][True][][!][no]", render(
                    "[{{ missing }}][{{ missing is defined }}][{{ missing | length }}][{% for x in missing %}x{% endfor %}]"
                            + "[{{ msg.nope }}][{{ msg.nope is defined }}][{{ msg['nope'] is undefined }}][{{ nothing.attr }}]"
                            + "[{{ missing ~ '!' }}][{{ 'yes' if missing else 'no' }}]",
                    "msg", map("role", "user"), "nothing", null));
        }

        @Test
        void undefinedIsStrictForAttributeAccessAndArithmetic() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{{ x.y }}"));
            assertEquals("'x' is undefined", e.detail());
            e = assertThrows(ChatTemplateException.class, () -> render("{{ {}.x.y }}"));
            assertEquals("'dict object' has no attribute 'x'", e.detail());
            e = assertThrows(ChatTemplateException.class, () -> render("{{ x + 1 }}"));
            assertEquals("'x' is undefined", e.detail());
        }

        @Test
        void enableThinkingIsUndefinedUnlessGiven() {
            String t = "{{ enable_thinking is defined }}|{{ tools is none }}|{{ add_generation_prompt }}";
            ChatTemplate template = ChatTemplate.parse(t);
            ChatRequest request = ChatRequest.fromJson("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
            assertNull(request.enableThinking());
            assertNull(request.tools());
            assertTrue(request.addGenerationPrompt());
            assertEquals("False|True|True", template.render(request));
            ChatRequest thinking = ChatRequest.fromJson("{\"messages\": [], \"enable_thinking\": false, \"add_generation_prompt\": false}");
            assertEquals("True|True|False", template.render(thinking));
        }
    }

    @Nested
    class Errors {

        @Test
        void syntaxErrorNamesLineAndColumn() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> ChatTemplate.parse("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}"));
            assertEquals(3, e.line());
            assertEquals(10, e.column());
            assertEquals("unexpected 'end of print statement' (line 3, column 10)", e.getMessage());
        }

        @Test
        void unclosedBlockSaysWhatWasExpected() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> ChatTemplate.parse("{% for m in messages %}\n{% if loop.last %}x"));
            assertEquals("Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
                    + "The innermost block that needs to be closed is 'if'.", e.detail());
            assertEquals(2, e.line());
            e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.parse("{% for y in z %}{% if x %}{% endfor %}{% endif %}"));
            assertEquals("Encountered unknown tag 'endfor'. You probably made a nesting mistake. Jinja is expecting this tag, "
                    + "but currently looking for 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.", e.detail());
            assertEquals(30, e.column());
        }

        @Test
        void unknownTagsAndFiltersAreSyntaxErrors() {
            assertEquals("Encountered unknown tag 'do'.",
                    assertThrows(ChatTemplateException.class, () -> ChatTemplate.parse("{% do x %}")).detail());
            assertEquals("No filter named 'nosuch'.",
                    assertThrows(ChatTemplateException.class, () -> ChatTemplate.parse("{{ x | nosuch }}")).detail());
        }

        @Test
        void raiseExceptionCarriesTheTemplatesMessage() {
            ChatTemplate t = ChatTemplate.parse("{% if messages[0].role != 'user' %}\n"
                    + "{{ raise_exception('Conversation must start with user, not ' + messages[0].role) }}\n{% endif %}");
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> t.render(Map.of("messages", List.of(Map.of("role", "tool")))));
            assertEquals("Conversation must start with user, not tool", e.getMessage());
            assertTrue(e.raisedByTemplate());
            assertEquals(2, e.line());
        }

        @Test
        void runtimeErrorsNameTheirLocation() {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> render("ok\n{{ 'a' + 1 }}"));
            assertEquals("can only concatenate str (not \"int\") to str (line 2, column 4)", e.getMessage());
            assertFalse(e.raisedByTemplate());
        }

        @Test
        void endlessRecursionIsAnError() {
            assertThrows(ChatTemplateException.class, () -> render("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"));
        }
    }

    @Nested
    class Environment {

        @Test
        void strftimeNow() {
            Clock clock = Clock.fixed(LocalDateTime.of(2025, 3, 7, 9, 5, 2).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
            ChatTemplate t = ChatTemplate.parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|"
                    + "{{ strftime_now('%A %B %-d') }}").withClock(clock);
            assertEquals("07 Mar 2025|2025-03-07 09:05:02|Friday March 7", t.render(Map.of()));
        }

        @Test
        void generationTagRendersItsBody() {
            assertEquals("<a>assistant text</a>", render("<a>{% generation %}{{ 'assistant text' }}{% endgeneration %}</a>"));
        }

        @Test
        void contextValuesAreCopiedNotMutated() {
            List<Object> list = new ArrayList<>(List.of(1));
            assertEquals("[1, 2]", render("{% set _ = l.append(2) %}{{ l }}", "l", list));
            assertEquals(List.of(1), list);
        }

        @Test
        void tokenizerConfigWithTemplateListAndAddedTokenObjects(@TempDir Path dir) throws Exception {
            Path config = dir.resolve("tokenizer_config.json");
            Files.writeString(config, """
                    {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>",
                     "chat_template": [{"name": "tool_use", "template": "tools"},
                                       {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}
                    """, StandardCharsets.UTF_8);
            ChatTemplate t = ChatTemplate.fromTokenizerConfig(config);
            assertEquals("<s>hi</s>", t.render(new ChatRequest(List.of(Map.of("role", "user", "content", "hi")), null, true, null)));
            assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
        }

        @Test
        void chatTemplateJinjaNextToTheConfigWins(@TempDir Path dir) throws Exception {
            Path config = dir.resolve("tokenizer_config.json");
            Files.writeString(config, "{\"chat_template\": \"old\"}", StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("chat_template.jinja"), "new {{ messages|length }}\n", StandardCharsets.UTF_8);
            assertEquals("new 0", ChatTemplate.fromTokenizerConfig(config).render(new ChatRequest(List.of(), null, true, null)));
        }
    }
}
