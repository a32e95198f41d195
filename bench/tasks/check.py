#!/usr/bin/env python3
"""Validate the rein evaluation task files in this directory.

Checks:
  * every JSONL line parses and has the expected keys; ids are unique;
  * each extraction gold object validates against its schema (with the
    `jsonschema` package when it is installed, and always with the small
    built-in checker below, which covers the keywords these schemas use);
  * every gold string is an exact substring of the text, and every gold
    number appears in the text as the same digit string;
  * NER entities use UTF-8 byte offsets that match their text, are sorted,
    do not overlap, use known labels and sit on word boundaries.

Usage: python3 bench/tasks/check.py      (exit status 0 when all pass)
"""
import datetime
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

EXTRACTION_SETS = [
    # (name, schema file, data file, minimum number of documents)
    ("films", "films.schema.json", "films.jsonl", 14),
    ("invoices", "invoices.schema.json", "invoices.jsonl", 10),
    ("people", "people.schema.json", "people.jsonl", 10),
]
MIN_EXTRACTION_TOTAL = 34
NER_FILE = "ner.jsonl"
NER_MIN = 24
NER_LABELS = {"PER", "LOC", "ORG", "NUM", "DATE"}
NER_WORDS = (8, 30)

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


# ---------------------------------------------------------------- schemas

try:
    import jsonschema  # type: ignore
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema = None


def _type_ok(value, t):
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if t == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError(f"unsupported type {t!r}")


SUPPORTED = {"$schema", "title", "description", "type", "properties", "required",
             "additionalProperties", "items", "maxItems", "minItems", "minimum",
             "maximum", "enum", "format"}


def mini_validate(value, schema, path="$"):
    """Tiny validator for the keywords used by the schemas in this folder."""
    out = []
    unknown = set(schema) - SUPPORTED
    if unknown:
        out.append(f"{path}: schema uses unsupported keywords {sorted(unknown)}")
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_type_ok(value, x) for x in types):
            out.append(f"{path}: expected type {t}, got {type(value).__name__}")
            return out
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in enum {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: {value} > maximum {schema['maximum']}")
    if isinstance(value, str) and schema.get("format") == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            out.append(f"{path}: {value!r} is not YYYY-MM-DD")
        else:
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                out.append(f"{path}: {value!r} is not a valid calendar date")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: {len(value)} items > maxItems {schema['maxItems']}")
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: {len(value)} items < minItems {schema['minItems']}")
        if "items" in schema:
            for i, item in enumerate(value):
                out += mini_validate(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing required property {key!r}")
        for key, v in value.items():
            if key in props:
                out += mini_validate(v, props[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: additional property {key!r} not allowed")
    return out


def full_validate(value, schema):
    """Errors from both validators (jsonschema only when available)."""
    out = mini_validate(value, schema)
    if jsonschema is not None:
        v = jsonschema.Draft202012Validator(schema)
        out += [f"jsonschema: {e.message}" for e in v.iter_errors(value)]
    return out


def self_test(schema, gold, where):
    """The validators must reject some obviously broken variants of a gold."""
    bad = [dict(gold, extra_field="x")]
    first_required = schema["required"][0]
    bad.append({k: v for k, v in gold.items() if k != first_required})
    bad.append(dict(gold, **{first_required: 12345}))
    for b in bad:
        if not mini_validate(b, schema):
            err(where, f"self-test: mini checker accepted a broken object {b}")
        if jsonschema is not None and jsonschema.Draft202012Validator(schema).is_valid(b):
            err(where, f"self-test: jsonschema accepted a broken object {b}")


# ---------------------------------------------------------------- helpers

def read_jsonl(name):
    rows = []
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{name}:{n}", "blank line")
                continue
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}", f"invalid JSON: {e}")
    return rows


def number_in_text(value, text):
    """True when the number, written as JSON writes it, occurs in the text
    as a whole digit string (not part of a longer number)."""
    s = json.dumps(value)
    pat = r"(?<![\d.])" + re.escape(s) + r"(?!\d|\.\d)"
    return re.search(pat, text) is not None


def check_values_extractive(value, text, where):
    if isinstance(value, bool) or value is None:
        err(where, f"unexpected non-extractive value {value!r}")
    elif isinstance(value, str):
        if value == "":
            err(where, "empty string")
        elif value not in text:
            err(where, f"gold string {value!r} is not a substring of the text")
    elif isinstance(value, (int, float)):
        if not number_in_text(value, text):
            err(where, f"gold number {json.dumps(value)} does not appear in the text")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_values_extractive(v, text, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_values_extractive(v, text, f"{where}.{k}")


def is_boundary_char(ch):
    """Whitespace or punctuation (Unicode categories Z* and P*)."""
    return ch.isspace() or unicodedata.category(ch)[0] in "ZP"


# ---------------------------------------------------------------- extraction

ids = set()


def check_id(row, where):
    i = row.get("id")
    if not isinstance(i, str) or not i:
        err(where, "missing id")
    elif i in ids:
        err(where, f"duplicate id {i!r}")
    else:
        ids.add(i)


counts = {}
total_docs = 0
for name, schema_file, data_file, minimum in EXTRACTION_SETS:
    with open(os.path.join(HERE, schema_file), encoding="utf-8") as f:
        schema = json.load(f)
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        err(schema_file, "$schema is not draft 2020-12")
    if jsonschema is not None:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            err(schema_file, f"invalid schema: {e.message}")
    for prop, sub in schema.get("properties", {}).items():
        if not sub.get("description"):
            err(schema_file, f"property {prop!r} has no description")

    rows = read_jsonl(data_file)
    lengths = []
    for n, row in rows:
        where = f"{data_file}:{n}"
        check_id(row, where)
        if set(row) != {"id", "text", "gold"}:
            err(where, f"keys are {sorted(row)}, expected id, text, gold")
            continue
        text, gold = row["text"], row["gold"]
        if not isinstance(text, str) or not text.strip():
            err(where, "empty text")
            continue
        lengths.append(len(re.findall(r"[.!?](?:\s|$)", text)) or 1)
        for e in full_validate(gold, schema):
            err(where, e)
        check_values_extractive(gold, text, where + " gold")
        if n == 1:
            self_test(schema, gold, where)
        # Set-specific checks.
        if name == "films" and isinstance(gold.get("co_stars"), list):
            pos = [text.find(a) for a in gold["co_stars"]]
            if pos != sorted(pos):
                err(where, "co_stars are not in order of mention")
            if gold.get("director") in gold["co_stars"]:
                err(where, "director listed among co_stars")
        if name == "invoices" and isinstance(gold.get("date"), str):
            if gold["date"] not in text:
                err(where, "invoice date not present in YYYY-MM-DD form")
    counts[name] = len(rows)
    total_docs += len(rows)
    if len(rows) < minimum:
        err(data_file, f"only {len(rows)} documents, need at least {minimum}")
    if lengths and (min(lengths) > 1 or max(lengths) < 3):
        err(data_file, "lengths are not varied (need one-sentence and 3+ sentence documents)")
    print(f"{name:9s} {len(rows):3d} documents "
          f"(sentences per document: min {min(lengths) if lengths else 0}, max {max(lengths) if lengths else 0})")

if total_docs < MIN_EXTRACTION_TOTAL:
    err("extraction", f"only {total_docs} documents in total, need {MIN_EXTRACTION_TOTAL}")
print(f"extraction total: {total_docs} documents")

# ---------------------------------------------------------------- NER

label_counts = {k: 0 for k in sorted(NER_LABELS)}
n_entities = 0
n_byte_differs = 0
rows = read_jsonl(NER_FILE)
for n, row in rows:
    where = f"{NER_FILE}:{n}"
    check_id(row, where)
    if set(row) != {"id", "text", "entities"}:
        err(where, f"keys are {sorted(row)}, expected id, text, entities")
        continue
    text, ents = row["text"], row["entities"]
    data = text.encode("utf-8")
    words = len(text.split())
    if not NER_WORDS[0] <= words <= NER_WORDS[1]:
        err(where, f"{words} words, expected {NER_WORDS[0]}-{NER_WORDS[1]}")
    if not ents:
        err(where, "no entities")
    prev_end = -1
    for k, ent in enumerate(ents):
        w = f"{where} entity {k}"
        if set(ent) != {"text", "label", "start", "end"}:
            err(w, f"keys are {sorted(ent)}")
            continue
        s, e, et, lab = ent["start"], ent["end"], ent["text"], ent["label"]
        if lab not in NER_LABELS:
            err(w, f"unknown label {lab!r}")
        else:
            label_counts[lab] += 1
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(data)):
            err(w, f"bad offsets {s}..{e}")
            continue
        try:
            span = data[s:e].decode("utf-8")
            before = data[:s].decode("utf-8")
            after = data[e:].decode("utf-8")
        except UnicodeDecodeError:
            err(w, f"offsets {s}..{e} split a UTF-8 character")
            continue
        if span != et:
            err(w, f"bytes {s}..{e} give {span!r}, entity text is {et!r}")
        if len(before) != s:
            n_byte_differs += 1
        if s < prev_end:
            err(w, f"overlaps or is not sorted after previous entity (start {s} < {prev_end})")
        prev_end = e
        if before and not is_boundary_char(before[-1]):
            err(w, f"start is not at a word boundary (preceded by {before[-1]!r})")
        if after and not is_boundary_char(after[0]):
            err(w, f"end is not at a word boundary (followed by {after[0]!r})")
        if et != et.strip() or is_boundary_char(et[0]) or is_boundary_char(et[-1]):
            err(w, f"entity {et!r} starts or ends with whitespace/punctuation")
        n_entities += 1

if len(rows) < NER_MIN:
    err(NER_FILE, f"only {len(rows)} sentences, need at least {NER_MIN}")
for lab, c in label_counts.items():
    if c == 0:
        err(NER_FILE, f"label {lab} never used")
if n_byte_differs == 0:
    err(NER_FILE, "no entity whose byte offset differs from its character offset")
print(f"ner       {len(rows):3d} sentences, {n_entities} entities "
      + ", ".join(f"{k}={v}" for k, v in label_counts.items())
      + f"; {n_byte_differs} entities with byte offset != char offset")
print(f"validator: built-in checker" + (f" + jsonschema {'installed'}" if jsonschema else " (jsonschema not installed)"))

if errors:
    print(f"\nFAILED with {len(errors)} error(s):")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("OK")
