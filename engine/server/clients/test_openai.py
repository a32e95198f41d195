"""The real `openai` client against `rein serve` on the SmolLM2 GGUF.

Every answer is checked for being right, not only accepted: JSON validated
with the `jsonschema` package, regexes matched with Python's `re`, streamed
text compared byte for byte with the same greedy request unstreamed, and
every bad request answered with a 400 that names the problem, after which
the next request still succeeds.
"""

import json
import re

import jsonschema
import openai
import pydantic

from server import Checks, Server

KEY = "test-key-1234"
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}
ASK = [{"role": "user", "content": "Ada Lovelace was 36. Give her name and age as JSON."}]


class Person(pydantic.BaseModel):
    name: str
    age: int


def main():
    server = Server("--api-key", KEY)
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)
    model = client.models.list().data[0].id
    checks = Checks()

    def chat(**kwargs):
        kwargs.setdefault("model", model)
        kwargs.setdefault("messages", ASK)
        kwargs.setdefault("temperature", 0)
        kwargs.setdefault("max_tokens", 48)
        return client.chat.completions.create(**kwargs)

    def health():
        status, body = server.raw("GET", "/health")
        assert status == 200 and body["status"] == "ok", body
        status, body = server.raw("GET", "/v1/models")
        assert status == 401, (status, body)
        assert "API key" in body["error"]["message"], body

    def json_schema():
        answer = chat(response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}})
        choice = answer.choices[0]
        jsonschema.validate(json.loads(choice.message.content), PERSON)
        assert choice.finish_reason == "stop", choice.finish_reason
        assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
        assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens

    def greedy_repeats():
        texts = {chat(response_format={"type": "json_object"}).choices[0].message.content for _ in range(3)}
        assert len(texts) == 1, texts
        value = json.loads(texts.pop())
        assert isinstance(value, dict), value

    def parse_pydantic():
        answer = client.beta.chat.completions.parse(model=model, messages=ASK, response_format=Person, temperature=0, max_tokens=48)
        parsed = answer.choices[0].message.parsed
        assert isinstance(parsed, Person), answer
        answer = client.chat.completions.parse(model=model, messages=ASK, response_format=Person, temperature=0, max_tokens=48)
        assert isinstance(answer.choices[0].message.parsed, Person), answer

    digits = "[0-9]{1,3}"
    grammar = 'root ::= ("yes" | "no") " " [0-9] [0-9]?'
    grammar_re = r"(yes|no) [0-9][0-9]?"
    dialects = [
        ("vLLM structured_outputs.json", {"structured_outputs": {"json": PERSON}}, "json"),
        ("vLLM structured_outputs.regex", {"structured_outputs": {"regex": digits}}, digits),
        ("vLLM structured_outputs.choice", {"structured_outputs": {"choice": ["red", "green"]}}, "red|green"),
        ("vLLM structured_outputs.grammar", {"structured_outputs": {"grammar": grammar}}, grammar_re),
        ("vLLM structured_outputs.json_object", {"structured_outputs": {"json_object": True}}, "object"),
        ("vLLM guided_json", {"guided_json": PERSON}, "json"),
        ("vLLM guided_regex", {"guided_regex": digits}, digits),
        ("vLLM guided_choice", {"guided_choice": ["red", "green"]}, "red|green"),
        ("vLLM guided_grammar", {"guided_grammar": grammar}, grammar_re),
        ("SGLang regex", {"regex": digits}, digits),
        ("SGLang ebnf", {"ebnf": grammar}, grammar_re),
        ("SGLang json_schema", {"json_schema": json.dumps(PERSON)}, "json"),
        ("llama.cpp grammar", {"grammar": grammar}, grammar_re),
        ("llama.cpp json_schema", {"json_schema": PERSON}, "json"),
        ("mistral.rs grammar regex", {"grammar": {"type": "regex", "value": digits}}, digits),
        ("mistral.rs grammar json_schema", {"grammar": {"type": "json_schema", "value": PERSON}}, "json"),
    ]

    def dialect(extra, expect):
        def check():
            text = chat(extra_body=extra).choices[0].message.content
            if expect == "json":
                jsonschema.validate(json.loads(text), PERSON)
            elif expect == "object":
                assert isinstance(json.loads(text), dict), text
            else:
                assert re.fullmatch(expect, text), text
        return check

    def completions():
        answer = client.completions.create(model=model, prompt="The year Ada Lovelace was born:", temperature=0, max_tokens=8, extra_body={"guided_regex": "[0-9]{4}"})
        assert re.fullmatch("[0-9]{4}", answer.choices[0].text), answer
        streamed = client.completions.create(model=model, prompt="The year Ada Lovelace was born:", temperature=0, max_tokens=8, extra_body={"guided_regex": "[0-9]{4}"}, stream=True)
        text = "".join(chunk.choices[0].text for chunk in streamed if chunk.choices)
        assert text == answer.choices[0].text, (text, answer.choices[0].text)

    def streaming():
        for extra in [{}, {"response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}}]:
            whole = chat(max_tokens=40, **extra)
            pieces, usage, finish = [], None, None
            for chunk in chat(max_tokens=40, stream=True, stream_options={"include_usage": True}, **extra):
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    pieces.append(choice.delta.content or "")
                    finish = choice.finish_reason or finish
            assert "".join(pieces) == whole.choices[0].message.content, (pieces, whole.choices[0].message.content)
            assert len([p for p in pieces if p]) > 1, pieces
            assert finish == whole.choices[0].finish_reason, (finish, whole.choices[0].finish_reason)
            assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens, (usage, whole.usage)

    def unconstrained_length():
        answer = chat(messages=[{"role": "user", "content": "Write a long story about a lighthouse."}], max_tokens=12)
        assert answer.choices[0].finish_reason == "length", answer.choices[0].finish_reason
        assert answer.usage.completion_tokens == 12, answer.usage

    weather = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}}, "required": ["city"], "additionalProperties": False}}}
    clock = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}}, "required": ["zone"]}}}

    def tool_calls():
        messages = [{"role": "user", "content": "What is the weather in Paris?"}]
        answer = chat(messages=messages, tools=[weather, clock], tool_choice={"type": "function", "function": {"name": "get_weather"}})
        choice = answer.choices[0]
        assert choice.finish_reason == "tool_calls", choice.finish_reason
        call = choice.message.tool_calls[0]
        assert call.function.name == "get_weather", call
        jsonschema.validate(json.loads(call.function.arguments), weather["function"]["parameters"])
        answer = chat(messages=messages, tools=[weather, clock], tool_choice="required")
        call = answer.choices[0].message.tool_calls[0]
        schema = {"get_weather": weather, "get_time": clock}[call.function.name]["function"]["parameters"]
        jsonschema.validate(json.loads(call.function.arguments), schema)

    def several_samples():
        answer = chat(n=3, temperature=0.9, seed=7, extra_body={"guided_choice": ["red", "green", "blue"]})
        assert len(answer.choices) == 3 and [c.index for c in answer.choices] == [0, 1, 2]
        assert all(c.message.content in ("red", "green", "blue") for c in answer.choices), answer
        again = chat(n=3, temperature=0.9, seed=7, extra_body={"guided_choice": ["red", "green", "blue"]})
        assert [c.message.content for c in again.choices] == [c.message.content for c in answer.choices]

    def bad(expect, **kwargs):
        def check():
            try:
                chat(**kwargs)
            except openai.BadRequestError as error:
                message = error.body["message"] if isinstance(error.body, dict) else str(error)
                assert re.search(expect, message), message
            else:
                raise AssertionError("accepted")
            # The next request still succeeds.
            answer = chat(extra_body={"guided_choice": ["ok"]})
            assert answer.choices[0].message.content == "ok"
        return check

    checks.run("health, models, API key", health)
    checks.run("response_format json_schema validates", json_schema)
    checks.run("greedy repeats", greedy_repeats)
    checks.run("parse with a pydantic model", parse_pydantic)
    for name, extra, expect in dialects:
        checks.run(f"dialect {name}", dialect(extra, expect))
    checks.run("completions endpoint, streamed and not", completions)
    checks.run("streamed text == unstreamed text, usage", streaming)
    checks.run("finish_reason length when cut", unconstrained_length)
    checks.run("forced tool calls", tool_calls)
    checks.run("n > 1, seeded", several_samples)
    checks.run("bad schema names its pointer", bad(r"#/type", response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense"}}}))
    checks.run("bad grammar says line:column", bad(r"\d+:\d+", extra_body={"grammar": 'root ::= "a" ('}))
    checks.run("two constraints", bad(r"one constraint", response_format={"type": "json_object"}, extra_body={"guided_regex": "a"}))
    checks.run("unknown constraint dialect", bad(r"lark", extra_body={"grammar": {"type": "lark", "value": "start: \"a\""}}))
    checks.run("budget too small names both numbers", bad(r"max_tokens 2 .*needs \d+ tokens", max_tokens=2, response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}))
    checks.run("request body not JSON", lambda: check_raw(server, b"{", r"not JSON at 1:"))
    server.stop()
    checks.finish()


def check_raw(server, body, expect):
    status, answer = server.raw("POST", "/v1/chat/completions", body, {"Authorization": f"Bearer {KEY}"})
    assert status == 400, (status, answer)
    assert re.search(expect, answer["error"]["message"]), answer


if __name__ == "__main__":
    main()
