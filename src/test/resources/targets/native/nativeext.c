/* A C extension with a known native stack, built by the tests against each interpreter's headers.
 * call_back(f): call_back -> ext_call_level1 -> ext_call_level2 -> f() back in Python.
 * spin(ready): calls ready() (the Python side writes its truth), then ext_spin_middle ->
 * ext_spin_inner loops forever. The ext_ functions are not static and not inlined or cloned, so
 * their symbols name them exactly. Built with -g, each frame's line is known from this file: the
 * spinning line, and in each caller the line of its call. */
#include <Python.h>

volatile long ext_sink;
volatile int ext_keep_going = 1;

__attribute__((noinline, noipa)) long ext_spin_inner(long n) {
    while (ext_keep_going) { ext_sink += n; } /* the spinning line: one line, so its line is known */
    return ext_sink;
}

__attribute__((noinline, noipa)) long ext_spin_middle(long n) {
    long r = ext_spin_inner(n + 1);
    ext_sink += r;
    return r;
}

static PyObject *spin(PyObject *self, PyObject *ready) {
    PyObject *r = PyObject_CallObject(ready, NULL);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    ext_spin_middle(1);
    Py_RETURN_NONE;
}

__attribute__((noinline, noipa)) PyObject *ext_call_level2(PyObject *f) {
    PyObject *r = PyObject_CallObject(f, NULL);
    ext_sink++;
    return r;
}

__attribute__((noinline, noipa)) PyObject *ext_call_level1(PyObject *f) {
    PyObject *r = ext_call_level2(f);
    ext_sink++;
    return r;
}

static PyObject *call_back(PyObject *self, PyObject *f) {
    PyObject *r = ext_call_level1(f);
    ext_sink++; /* not a tail call: call_back stays on the stack */
    return r;
}

static PyMethodDef methods[] = {
    {"spin", spin, METH_O, "call ready(), then spin in C forever"},
    {"call_back", call_back, METH_O, "call f() through two C frames"},
    {NULL, NULL, 0, NULL},
};

#if PY_MAJOR_VERSION >= 3
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "nativeext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_nativeext(void) {
    return PyModule_Create(&module);
}
#else
PyMODINIT_FUNC initnativeext(void) {
    Py_InitModule("nativeext", methods);
}
#endif
