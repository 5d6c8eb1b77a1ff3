/* The --native benchmark's C extension (issue 14): spin(slot) lets the GIL go and calls
 * chain_9 -> chain_8 -> ... -> chain_1, which spins, counting its iterations in counters[slot]; so
 * each thread that calls it is 10 native frames deep (spin and the nine links) below its Python
 * frames, and busy. The links are noipa (not inlined, cloned or renamed) and each does something
 * after its call (no tail call), so every one keeps a frame of its own under its own name.
 * scripts/bench builds it with gcc against the target interpreter's headers. */
#include <Python.h>

#define MAX_SLOTS 64

/* one counter per cache line: the spinning threads do not slow each other by false sharing */
static struct {
    volatile unsigned long n;
    char pad[56];
} counters[MAX_SLOTS];
static volatile unsigned long chain_sink;
static volatile int chain_stop;

__attribute__((noipa)) unsigned long chain_1(int slot) {
    while (!chain_stop) {
        counters[slot].n++;
    }
    return counters[slot].n;
}

#define LINK(k, below)                                       \
    __attribute__((noipa)) unsigned long chain_##k(int slot) { \
        unsigned long r = below(slot);                       \
        chain_sink += k;                                     \
        return r + k;                                        \
    }

LINK(2, chain_1)
LINK(3, chain_2)
LINK(4, chain_3)
LINK(5, chain_4)
LINK(6, chain_5)
LINK(7, chain_6)
LINK(8, chain_7)
LINK(9, chain_8)

static PyObject *spin(PyObject *self, PyObject *arg) {
    long slot = PyLong_AsLong(arg);
    if (slot == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (slot < 0 || slot >= MAX_SLOTS) {
        PyErr_SetString(PyExc_ValueError, "slot out of range");
        return NULL;
    }
    unsigned long r;
    Py_BEGIN_ALLOW_THREADS
    r = chain_9((int) slot);
    Py_END_ALLOW_THREADS
    return PyLong_FromUnsignedLong(r);
}

static PyObject *count(PyObject *self, PyObject *arg) {
    long slot = PyLong_AsLong(arg);
    if (slot == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (slot < 0 || slot >= MAX_SLOTS) {
        PyErr_SetString(PyExc_ValueError, "slot out of range");
        return NULL;
    }
    return PyLong_FromUnsignedLong(counters[slot].n);
}

static PyMethodDef methods[] = {
    {"spin", spin, METH_O, "spin(slot): spin 10 C frames deep without the GIL, counting in slot"},
    {"count", count, METH_O, "count(slot): the iterations slot's spinner has made"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "benchchain", NULL, -1, methods};

PyMODINIT_FUNC PyInit_benchchain(void) {
    return PyModule_Create(&module);
}
