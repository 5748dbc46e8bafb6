#!/usr/bin/env python3
"""libjpeg-turbo through Pillow, decoding JPEG files in turn: the streaming reference of
`bench/loader.ts` beside `tjbench` (which decodes each file over and over, with its data hot in the
caches). Reads every file into memory first, then `Image.open(BytesIO(bytes)).load()` (RGB) one
after another, cycling, for --seconds. Prints one JSON line: {"images": N, "seconds": S}.
"""
import argparse
import io
import json
import time

from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, required=True)
parser.add_argument("files", nargs="+")
args = parser.parse_args()

data = []
for path in args.files:
    with open(path, "rb") as f:
        data.append(f.read())

# one pass to warm up the interpreter and the library
for b in data[:8]:
    Image.open(io.BytesIO(b)).load()

count = 0
start = time.perf_counter()
while time.perf_counter() - start < args.seconds:
    for b in data:
        image = Image.open(io.BytesIO(b))
        image.load()
        count += 1
elapsed = time.perf_counter() - start
print(json.dumps({"images": count, "seconds": elapsed, "mode": image.mode}))
