"""A real asyncio server under load: asyncio.start_server's echo server, and client tasks in the same
process sending to it over local TCP without pause. Writes the truth file (argv[1]) once every client
got its first echo, then serves forever. Python 3.8+."""
import asyncio
import json
import os
import sys

CLIENTS = 8


async def echo(reader, writer):
    while True:
        data = await reader.readline()
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def client(port, n, started):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    first = True
    while True:
        writer.write(b"x" * 64 + b"\n")
        await writer.drain()
        await reader.readline()
        if first:
            started.append(n)
            first = False


async def main():
    asyncio.current_task().set_name("main")  # the clients' awaiter, named for the test
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = []
    clients = [asyncio.get_running_loop().create_task(client(port, n, started), name="client-%d" % n)
               for n in range(CLIENTS)]
    while len(started) < CLIENTS:
        await asyncio.sleep(0.05)
    path = sys.argv[1]
    with open(path + ".tmp", "w") as f:
        json.dump({"pid": os.getpid(), "port": port, "clients": CLIENTS}, f)
    os.rename(path + ".tmp", path)
    await asyncio.gather(*clients)


asyncio.run(main())
