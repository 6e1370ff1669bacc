#!/usr/bin/env python3
"""json_keys.py VDT DOCS_JSON_MD: every JSON object docs/json.md documents has exactly the
documented keys in the program's output, no more and no fewer, at every depth: list --json
(host, domain, config, disk, backing, device, topology) on the demo host and on a test-driver
host with a block disk, and bench --json --repeat 2 (one cell of each status the run can give, with min and max);
the file bench --save writes (format 2), history --json and history --compare --json, and
recommend --json (with its iothread suggestion).

The documented shapes are read from the ```json blocks of docs/json.md, in order, with their
// comments stripped and "{ ... }" standing for the object documented in its own block."""
import json
import os
import shutil
import re
import subprocess
import sys
import tempfile

# The blocks of docs/json.md in order, and which block a "{ ... }" under a key stands for.
BLOCKS = ["host", "domain", "config", "disk", "backing", "device", "topology", "cell",
          "crosscheck", "saved", "history_run", "history_compare", "iothread_suggestion",
          "recommend", "recommendation"]
# Documented objects no command prints yet (none now).
PENDING = set()
REFS = {
    ("host", "topology"): "topology", ("host", "domains"): "domain",
    ("domain", "config"): "config", ("domain", "inactive"): "config",
    ("config", "disks"): "disk", ("disk", "backing"): "backing",
    ("backing", "device"): "device", ("device", "slaves"): "device",
    ("crosscheck", "cells"): "cell", ("saved", "cells"): "cell",
    ("history_compare", "a"): "history_run", ("history_compare", "b"): "history_run",
    ("recommend", "disks"): "recommendation", ("recommend", "iothreads"): "iothread_suggestion",
}
STRING_OR_COMMENT = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*')


def doc_shapes(path):
    text = open(path, encoding="utf-8").read()
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    if len(blocks) != len(BLOCKS):
        sys.exit(f"{path}: {len(blocks)} json blocks, expected {len(BLOCKS)}: update BLOCKS")
    shapes = {}
    for name, block in zip(BLOCKS, blocks):
        block = STRING_OR_COMMENT.sub(lambda m: m.group(1) or "", block)
        block = block.replace("{ ... }", "{}")
        try:
            shapes[name] = json.loads(block)
        except json.JSONDecodeError as e:
            sys.exit(f"{path}: the {name} block is not JSON once comments are stripped: {e}")
    return shapes


class Checker:
    def __init__(self, shapes):
        self.shapes = shapes
        self.failures = []
        self.objects = {name: 0 for name in BLOCKS}

    def check(self, block, doc, actual, where):
        """actual against the documented object doc (of block `block`, or inline)."""
        if actual is None:
            return
        if not isinstance(actual, dict):
            self.failures.append(f"{where}: expected an object, got {type(actual).__name__}")
            return
        if doc == self.shapes.get(block):
            self.objects[block] += 1
        want, got = set(doc), set(actual)
        if want != got:
            missing, extra = sorted(want - got), sorted(got - want)
            self.failures.append(f"{where}: keys differ from docs/json.md: "
                                 f"missing {missing}, undocumented {extra}")
        for key in want & got:
            self.value(block, key, doc[key], actual[key], f"{where}.{key}")

    def value(self, block, key, doc, actual, where):
        ref = REFS.get((block, key))
        if isinstance(doc, list):
            if not isinstance(actual, list):
                if actual is not None:
                    self.failures.append(f"{where}: expected an array")
                return
            for i, item in enumerate(actual):
                if ref:
                    self.check(ref, self.shapes[ref], item, f"{where}[{i}]")
                elif doc and isinstance(doc[0], dict):
                    self.check(f"{block}.{key}", doc[0], item, f"{where}[{i}]")
        elif isinstance(doc, dict):
            if ref:
                self.check(ref, self.shapes[ref], actual, where)
            elif doc:
                self.check(f"{block}.{key}", doc, actual, where)
            elif (block, key) == ("history_compare.cells", "lat_ns_p99"):
                self.check(block, self.shapes["history_compare"]["cells"][0]["iops"], actual,
                           where)


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def run_env(argv, env):
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def main():
    vdt, docs = sys.argv[1], sys.argv[2]
    shapes = doc_shapes(docs)
    c = Checker(shapes)
    c.check("host", shapes["host"], run([vdt, "list", "--demo", "--json"]), "list --demo")
    # A block disk over a loop device (root), so that a block backing and a loop device appear.
    if os.geteuid() == 0:
        with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
            img = os.path.join(d, "blk.img")
            with open(img, "wb") as f:
                f.write(os.urandom(1 << 20))
            dev = subprocess.run(["losetup", "-f", "--show", img], capture_output=True,
                                 text=True, check=True).stdout.strip()
            try:
                node = os.path.join(d, "node.xml")
                with open(node, "w") as f:
                    f.write("<node><domain type='test'><name>blk</name><memory>65536</memory>"
                            "<os><type>hvm</type></os><devices><disk type='block' device='disk'>"
                            f"<source dev='{dev}'/><target dev='vda' bus='virtio'/></disk>"
                            "</devices></domain></node>")
                listing = run([vdt, "list", "-c", "test://" + node, "--json"])
            finally:
                subprocess.run(["losetup", "-d", dev], check=True)
            c.check("host", shapes["host"], listing, "list (loop device disk)")
            kind = listing["domains"][0]["config"]["disks"][0]["backing"]["device"]["kind"]
            if kind != "loop":
                c.failures.append(f"list (loop device disk): device kind {kind}, expected loop")
    cells = run([vdt, "bench", "--demo", "--domain", "web1", "--disk", "vda", "--runtime", "0.05",
                 "--ramp", "0", "--depth", "2", "--cache", "none,writeback", "--io", "native,io_uring",
                 "--repeat", "2", "--json"])
    for i, cell in enumerate(cells):
        c.check("cell", shapes["cell"], cell, f"bench --json[{i}] ({cell.get('status')})")
    # --repeat 2: every ok cell carries its min and max, checked against the doc above.
    for i, cell in enumerate(cells):
        if cell.get("status") == "ok" and (cell.get("rounds") != 2 or cell.get("min") is None
                                           or cell.get("max") is None):
            c.failures.append(f"bench --json[{i}]: an ok cell of 2 rounds without min/max")
    statuses = sorted({cell.get("status") for cell in cells})
    if statuses != ["invalid", "ok"]:
        c.failures.append(f"bench --json: statuses {statuses}, expected invalid and ok")
    # bench --save's file (format 2), and history --json and --compare --json over it, in a
    # private results directory.
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
        env = dict(os.environ, VIRT_DISKTUNE_RESULTS_DIR=d)
        p = subprocess.run([vdt, "bench", "--demo", "--domain", "web1", "--disk", "vda",
                            "--runtime", "0.05", "--ramp", "0", "--cache", "none", "--io",
                            "native,io_uring", "--repeat", "2", "--save"], capture_output=True,
                           text=True, env=env)
        saved = [f for f in os.listdir(d) if f.startswith("bench-")]
        if p.returncode != 0 or len(saved) != 1:
            sys.exit(f"bench --save: exit {p.returncode}, files {saved}: {p.stderr.strip()}")
        with open(os.path.join(d, saved[0]), encoding="utf-8") as f:
            c.check("saved", shapes["saved"], json.load(f), "the saved file")
        for i, run_obj in enumerate(run_env([vdt, "history", "--json"], env)):
            c.check("history_run", shapes["history_run"], run_obj, f"history --json[{i}]")
        c.check("history_compare", shapes["history_compare"],
                run_env([vdt, "history", "--compare", "--json", "1", "1"], env),
                "history --compare --json")
    # recommend --json from a saved run of a test-driver domain's image file (a --demo host is
    # made anew by each process, with new paths: its saved runs are not its disks' next time).
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
        env = dict(os.environ, VIRT_DISKTUNE_RESULTS_DIR=os.path.join(d, "results"))
        img, node = os.path.join(d, "web1.img"), os.path.join(d, "node.xml")
        with open(img, "wb") as f:
            f.write(os.urandom(8 << 20))
        with open(node, "w") as f:
            f.write("<node><domain type='test'><name>web1</name><memory>65536</memory>"
                    "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
                    f"<source file='{img}'/><target dev='vda' bus='virtio'/></disk>"
                    "</devices></domain></node>")
        conn = ["-c", "test://" + node]
        p = subprocess.run([vdt, "bench", *conn, "--domain", "web1", "--disk", "vda",
                            "--runtime", "0.05", "--ramp", "0", "--cache", "none,writeback",
                            "--io", "native,io_uring", "--repeat", "2", "--save"],
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            sys.exit(f"bench --save for recommend: exit {p.returncode}: {p.stderr.strip()}")
        c.check("recommend", shapes["recommend"],
                run_env([vdt, "recommend", *conn, "--domain", "web1", "--json",
                         "--allow-volatile"], env), "recommend --json")
    # bench --cross-check --json: the object, its cells (each a cell) and its comparisons.
    if shutil.which("qemu-img"):
        cross = run([vdt, "bench", "--demo", "--domain", "web1", "--disk", "vda", "--runtime",
                     "0.05", "--ramp", "0", "--cache", "none", "--io", "native,io_uring",
                     "--cross-check", "--json"])
        c.check("crosscheck", shapes["crosscheck"], cross, "bench --cross-check --json")
    else:
        print("skip: qemu-img is not installed: bench --cross-check --json not checked")
        c.objects["crosscheck"] = -1
    for name in PENDING:
        if c.objects[name] == 0:
            print(f"pending: no command prints a {name} object yet: not checked")
            c.objects[name] = -1
    for name in BLOCKS:
        if c.objects[name] == 0:
            c.failures.append(f"no {name} object was checked: the run did not produce one")
    for f in c.failures:
        print("FAIL:", f)
    print(f"checked: {', '.join(f'{n} {c.objects[n]}' for n in BLOCKS)}")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
