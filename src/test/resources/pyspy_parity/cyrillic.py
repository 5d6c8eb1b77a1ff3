import time

def кириллица(seconds):
    time.sleep(seconds)

if __name__ == "__main__":
    кириллица(100000)
