def recurse(depth):
    if depth > 0:
        return recurse(depth - 1)
    return 0


while True:
    recurse(20)
