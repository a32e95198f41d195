"""Ray Data over `rein serve` replicas: one validated JSONL line per document.

    python examples/ray-batch/run.py --replicas 2 --out people.jsonl

Starts the replicas (`target/release/rein serve` on free loopback ports),
reads `documents.jsonl` with Ray Data, extracts each document through the
`openai` client with the schema as `response_format`, validates every
answer with `jsonschema`, and writes the lines in input order. Documents are
spread over the replicas by their id. `--check` also fails unless every
document has a valid answer and every replica served some.
"""

import argparse
import json
import os
import sys
import zlib

import jsonschema
import openai
import ray

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "engine", "server", "clients"))
from server import Server  # noqa: E402  (the clients' helper that starts `rein serve`)

SCHEMA = json.load(open(os.path.join(HERE, "person.schema.json")))
INSTRUCTIONS = (
    "Extract the person the text is about as JSON with name, birth_year, "
    "occupation and city, copying the values from the text."
)


class Extract:
    """A Ray Data map_batches worker: one openai client per replica."""

    def __init__(self, urls, model):
        self.clients = [openai.OpenAI(base_url=url, api_key="unused", max_retries=2) for url in urls]
        self.model = model

    def __call__(self, batch):
        lines = []
        for document_id, text in zip(batch["id"], batch["text"]):
            replica = zlib.crc32(document_id.encode()) % len(self.clients)
            try:
                answer = self.clients[replica].chat.completions.create(
                    model=self.model,
                    messages=[{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": text}],
                    response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}},
                    temperature=0,
                    max_tokens=60,
                )
                output = json.loads(answer.choices[0].message.content)
                jsonschema.validate(output, SCHEMA)
                lines.append(json.dumps({"id": document_id, "replica": replica, "output": output}))
            except Exception as error:  # the document's error is its line
                lines.append(json.dumps({"id": document_id, "replica": replica, "error": str(error)}))
        return {"line": lines}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--documents", default=os.path.join(HERE, "documents.jsonl"))
    parser.add_argument("--out", default="people.jsonl")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    servers = [Server() for _ in range(args.replicas)]
    try:
        model = servers[0].raw("GET", "/v1/models")[1]["data"][0]["id"]
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 << 20, log_to_driver=False)
        documents = ray.data.read_json(args.documents)
        lines = documents.map_batches(
            Extract,
            fn_constructor_kwargs={"urls": [server.base_url for server in servers], "model": model},
            batch_size=5,
            compute=ray.data.ActorPoolStrategy(size=args.replicas),
            # The workers only wait on HTTP: a fraction of a CPU each, so the
            # read task still gets one.
            num_cpus=0.25,
        )
        rows = [json.loads(row["line"]) for row in lines.take_all()]
        order = [json.loads(line)["id"] for line in open(args.documents)]
        rows.sort(key=lambda row: order.index(row["id"]))
        with open(args.out, "w") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
        valid = sum("output" in row for row in rows)
        served = {row["replica"] for row in rows}
        print(f"{len(rows)} documents, {valid} valid, replicas used: {sorted(served)} -> {args.out}")
        if args.check:
            assert [row["id"] for row in rows] == order, "a document is missing or repeated"
            assert valid == len(order), [row for row in rows if "error" in row]
            assert served == set(range(args.replicas)), served
    finally:
        ray.shutdown()
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
