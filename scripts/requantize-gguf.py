"""Rewrites a GGUF model with its Q4_1 tensors as Q8_0: the same weights in a
format whose CPU dot product has SIMD kernels in candle (Q4_1 has only a
scalar one there).

    requantize-gguf.py IN.gguf OUT.gguf

Every Q4_1 block (32 weights, a scale and a minimum) is expanded to its exact
float values and stored as a Q8_0 block (32 signed bytes and one scale), so a
weight moves by at most half a Q8_0 step: 1/254 of its block's largest
magnitude. Metadata and every other tensor are copied unchanged, except
`general.file_type`, which names the new format. The output is a pure
function of the input and the pinned `gguf` and `numpy` versions, so
scripts/fetch-assets checks it by sha256.
"""

import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
from gguf.constants import LlamaFileType
from gguf.quants import dequantize, quantize

SOURCE_TYPE = GGMLQuantizationType.Q4_1
TARGET_TYPE = GGMLQuantizationType.Q8_0


def copy_metadata(reader: GGUFReader, writer: GGUFWriter) -> None:
    for key, field in reader.fields.items():
        # The header's own counts and the architecture are written by GGUFWriter.
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key == "general.file_type":
            writer.add_file_type(LlamaFileType.MOSTLY_Q8_0)
            continue
        value_type = GGUFValueType(field.types[0])
        sub_type = GGUFValueType(field.types[1]) if value_type == GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), value_type, sub_type=sub_type)


def main(source: str, target: str) -> None:
    reader = GGUFReader(source)
    architecture = reader.fields["general.architecture"].contents()
    writer = GGUFWriter(target, architecture)
    copy_metadata(reader, writer)
    for tensor in reader.tensors:
        data = np.asarray(tensor.data)
        if tensor.tensor_type == SOURCE_TYPE:
            weights = dequantize(data, SOURCE_TYPE)
            data = quantize(weights, TARGET_TYPE)
            writer.add_tensor(tensor.name, data, raw_shape=data.shape, raw_dtype=TARGET_TYPE)
        else:
            writer.add_tensor(
                tensor.name, data, raw_shape=data.shape, raw_dtype=tensor.tensor_type
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: requantize-gguf.py IN.gguf OUT.gguf")
    main(sys.argv[1], sys.argv[2])
