"""A bounded loopback load test of `rein serve`.

32 concurrent greedy requests with mixed constraints and 4 malformed ones:
every good answer valid and identical to that request's answer sent alone,
every bad one a 400, every request answered, the server alive. Then a
burst interrupted by SIGTERM: the requests in flight complete and the
server exits cleanly.
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import jsonschema

from server import Checks, Server

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}, "year": {"type": "integer"}},
    "required": ["city", "year"],
    "additionalProperties": False,
}

# Eight distinct requests, each sent four times in the burst.
GOOD = [
    ({"guided_regex": "[0-9]{2,4}"}, "In what year did the Berlin wall fall?", ("regex", "[0-9]{2,4}")),
    ({"guided_choice": ["yes", "no"]}, "Is Paris in France?", ("regex", "yes|no")),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA}}}, "Oslo hosted the Olympics in 1952.", ("schema", SCHEMA)),
    ({"grammar": 'root ::= [A-Z] [a-z]+ ("." | "!")'}, "Name a colour.", ("regex", r"[A-Z][a-z]+[.!]")),
    ({"response_format": {"type": "json_object"}}, "Describe a cat as JSON.", ("object", None)),
    ({}, "Say hello.", ("text", None)),
    ({"structured_outputs": {"choice": ["north", "south", "east", "west"]}}, "Where does the sun rise?", ("regex", "north|south|east|west")),
    ({"regex": "[a-z]+( [a-z]+){0,3}"}, "Three words about the sea:", ("regex", "[a-z]+( [a-z]+){0,3}")),
]
BAD = [
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 3}}}}, "schema"),
    ({"grammar": "root ::= (", "messages": None}, "messages"),
    ({"guided_regex": "(unclosed"}, "regex"),
    ({"guided_choice": ["a"], "guided_regex": "a"}, "one constraint"),
]


def body(extra, content, model, max_tokens=24):
    request = {"model": model, "messages": [{"role": "user", "content": content}], "temperature": 0, "max_tokens": max_tokens}
    request.update(extra)
    return {key: value for key, value in request.items() if value is not None}


def valid(text, expect):
    kind, detail = expect
    if kind == "regex":
        return re.fullmatch(detail, text) is not None
    if kind == "schema":
        jsonschema.validate(json.loads(text), detail)
        return True
    if kind == "object":
        return isinstance(json.loads(text), dict)
    return isinstance(text, str)


def main():
    server = Server()
    status, models = server.raw("GET", "/v1/models")
    model = models["data"][0]["id"]
    checks = Checks()

    def send(request):
        return server.raw("POST", "/v1/chat/completions", request)

    alone = {}
    for index, (extra, content, _) in enumerate(GOOD):
        status, answer = send(body(extra, content, model))
        assert status == 200, answer
        alone[index] = answer["choices"][0]["message"]["content"]

    def burst():
        jobs = [("good", index, body(GOOD[index][0], GOOD[index][1], model)) for index in range(len(GOOD)) for _ in range(4)]
        jobs += [("bad", index, body(extra, "x", model)) for index, (extra, _) in enumerate(BAD)]
        # Interleave the malformed requests with the good ones.
        jobs = jobs[::2] + jobs[1::2]
        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(lambda job: (job, send(job[2])), jobs))
        assert len(results) == 36
        for (kind, index, _), (status, answer) in results:
            if kind == "bad":
                assert status == 400, (index, status, answer)
                assert re.search(BAD[index][1], answer["error"]["message"]), answer
                continue
            assert status == 200, (index, status, answer)
            text = answer["choices"][0]["message"]["content"]
            assert valid(text, GOOD[index][2]), (index, text)
            assert text == alone[index], (index, text, alone[index])
        assert server.alive()
        status, metrics = server.raw("GET", "/metrics")
        assert status == 200 and 'status="400"' in metrics and "rein_mask_seconds" in metrics, metrics

    def sigterm_in_flight():
        import time

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(send, body(GOOD[index][0], GOOD[index][1], model)) for index in range(6)]
            # Let the requests be admitted, then ask the server to stop.
            time.sleep(1.0)
            server.terminate()
            results = [future.result() for future in futures]
        for index, (status, answer) in enumerate(results):
            assert status == 200, (index, status, answer)
            assert answer["choices"][0]["message"]["content"] == alone[index]
        assert server.wait(120) == 0, server.log[-5:]
        assert any("shutting down" in line for line in server.log), server.log[-5:]

    checks.run("32 concurrent mixed + 4 malformed: valid, same as alone, 400s", burst)
    checks.run("SIGTERM during a burst: in-flight requests complete", sigterm_in_flight)
    server.stop()
    checks.finish()


if __name__ == "__main__":
    main()
