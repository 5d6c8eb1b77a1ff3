/* A program whose native stacks are known: two threads each spin in spin_leaf under
 * level3 <- level2 <- level1; the second thread gets there from libc's qsort through a
 * comparison callback, so unwinding has to cross libc's frames. Built without frame
 * pointers, so only the CFI can unwind it. argv[1]: file written once both threads spin. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

volatile long sink;
volatile int keep_going = 1;
static int spinning;
static const char *ready_path;

__attribute__((noinline)) long spin_leaf(long n) {
    if (__atomic_add_fetch(&spinning, 1, __ATOMIC_SEQ_CST) == 2) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", ready_path);
        FILE *f = fopen(tmp, "w");
        fprintf(f, "ready\n");
        fclose(f);
        rename(tmp, ready_path);
    }
    while (keep_going) {
        sink += n;
    }
    return sink;
}

__attribute__((noinline)) long level3(long n) { long r = spin_leaf(n + 1); sink += r; return r; }
__attribute__((noinline)) long level2(long n) { long r = level3(n + 1); sink += r; return r; }
__attribute__((noinline)) long level1(long n) { long r = level2(n + 1); sink += r; return r; }

__attribute__((noinline)) static int compare_and_spin(const void *a, const void *b) {
    level1(*(const int *) a);
    return *(const int *) a - *(const int *) b;
}

__attribute__((noinline)) static void *thread_main(void *arg) {
    int values[8] = {5, 3, 1, 7, 2, 9, 4, 6};
    qsort(values, 8, sizeof values[0], compare_and_spin);
    sink += values[0];
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t;
    ready_path = argv[1];
    pthread_create(&t, NULL, thread_main, NULL);
    long r = level1(100);
    pthread_join(t, NULL);
    return (int) r;
}
