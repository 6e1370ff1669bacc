#!/usr/bin/env python3
"""rawcheck.py FILE [MUST_CONTAIN...]: FILE, as the terminal would get it, holds no raw control
character: it is valid UTF-8 (an invalid byte such as a raw 0x9B is the 8-bit CSI), and has no
C0 control other than a newline, no DEL, no C1 control (U+0080-U+009F) and no bidi control
(U+061C, U+200E/F, U+202A-202E, U+2066-2069). Each MUST_CONTAIN string must occur in it, so
that the hostile text is known to have reached this output in its escaped form.
Prints one line per finding; exit 1 on any."""
import sys

BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def findings(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        yield f"invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 4]!r}"
        text = data.decode("utf-8", "replace")
    for i, ch in enumerate(text):
        c = ord(ch)
        if (c < 0x20 and ch != "\n") or c == 0x7F or 0x80 <= c <= 0x9F or c in BIDI:
            yield f"raw U+{c:04X} at character {i}: {text[max(0, i - 20):i]!r}"


def main():
    path, wanted = sys.argv[1], sys.argv[2:]
    data = open(path, "rb").read()
    bad = list(findings(data))
    text = data.decode("utf-8", "replace")
    bad += [f"does not contain {w!r}" for w in wanted if w not in text]
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
