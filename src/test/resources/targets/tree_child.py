# A child of tree_script.sh: burns CPU in child_one() or child_two() (its ROLE) until DIR/stop
# exists, and creates DIR/ROLE.busy once it has burned 0.5 s of CPU after DIR/go appeared, so that
# a test knows the child ran long enough to be sampled. Usage: tree_child.py ROLE DIR
import os
import sys

role, folder = sys.argv[1], sys.argv[2]


def burn():
    go_at = None
    busy = False
    while not os.path.exists(os.path.join(folder, "stop")):
        for _ in range(20000):
            pass
        if go_at is None and os.path.exists(os.path.join(folder, "go")):
            go_at = os.times()[0]
        if not busy and go_at is not None and os.times()[0] - go_at >= 0.5:
            open(os.path.join(folder, role + ".busy"), "w").close()
            busy = True


def child_one():
    burn()


def child_two():
    burn()


if __name__ == "__main__":
    globals()[role]()
