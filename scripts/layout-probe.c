/*
 * layout-probe.c - prints the byte offsets, sizes and constants pyspy needs
 * from CPython's internal structures, for the interpreter whose headers it is
 * compiled against.  Driven by scripts/gen-layouts; see docs/layouts.md.
 *
 * Output: one "key=decimal" line per fact, unsorted (the driver sorts).
 * Keys are logical: the same name for the same concept across versions even
 * when CPython renamed or nested the C field; a key is simply not printed when
 * the concept does not exist in the version being probed.
 *
 * Everything here comes from the interpreter's own installed headers, except
 * a few structures that some versions keep private to a .c file (never
 * installed).  Those are reproduced below, layout only, from the CPython
 * source of the matching versions, each marked "PRIVATE LAYOUT".
 *
 * Optional compile-time input from the driver:
 *   PYSPY_DEBUG_OFFSETS_FIELDS  a header holding one DEBUG_FIELD(path) line per
 *                               leaf field of _Py_DebugOffsets (generated from
 *                               the interpreter's own pycore_runtime.h, or
 *                               pycore_debug_offsets.h from 3.14); when
 *                               given, the probe prints "debug.<path>=offset"
 *                               lines for the debug-offsets table.
 */

/* patchlevel.h stands alone: it tells us the version before Python.h, so the
 * probe can decide whether it needs the core-only (internal) headers. */
#include "patchlevel.h"

#if PY_VERSION_HEX >= 0x03070000
#  ifndef Py_BUILD_CORE
#    define Py_BUILD_CORE 1          /* required by Include/internal/ */
#  endif
#endif
#ifndef NDEBUG
#  define NDEBUG 1   /* as in release builds; the inline helpers we call assert on real objects */
#endif

#include "Python.h"
#include "frameobject.h"
#if PY_VERSION_HEX < 0x030B0000
#  include "code.h"                  /* 3.11+: cpython/code.h, via Python.h */
#  include "longintrepr.h"           /* 3.11+: cpython/longintrepr.h, via Python.h */
#endif

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x03080000
#  include "internal/pystate.h"      /* _PyRuntimeState */
#elif PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x03090000
#  include "internal/pycore_pystate.h"   /* _PyRuntimeState, struct _is */
#elif PY_VERSION_HEX >= 0x03090000
#  include "internal/pycore_interp.h"    /* struct _is */
#  include "internal/pycore_runtime.h"   /* _PyRuntimeState (+ _Py_DebugOffsets in 3.13) */
#endif
#if PY_VERSION_HEX >= 0x030A0000
#  include "internal/pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#  include "internal/pycore_frame.h"     /* _PyInterpreterFrame */
#  include "internal/pycore_code.h"
#  include "internal/pycore_dict.h"      /* PyDictKeysObject, PyDictValues */
#  include "internal/pycore_object.h"    /* managed dict helpers */
#endif
#if PY_VERSION_HEX >= 0x030C0000
#  include "internal/pycore_gil.h"       /* struct _gil_runtime_state */
#  include "internal/pycore_long.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#  include "internal/pycore_genobject.h"  /* PyGenObject moved out of cpython/genobject.h */
#endif
#if PY_VERSION_HEX >= 0x030E0000
#  include "internal/pycore_tstate.h"     /* _PyThreadStateImpl.asyncio_tasks_head */
#  include "internal/pycore_stackref.h"  /* _PyStackRef, Py_TAG_BITS */
#  include "internal/pycore_debug_offsets.h" /* _Py_DebugOffsets moved here in 3.14 */
#endif

/* ------------------------------------------------------------------------ */
/* PRIVATE LAYOUTS (not in any installed header of these versions)           */
/* ------------------------------------------------------------------------ */

#if PY_VERSION_HEX < 0x030A0000
/* PRIVATE LAYOUT: PyModuleObject lives in Objects/moduleobject.c up to 3.9
 * (it moved to Include/internal/pycore_moduleobject.h in 3.10).
 * 2.7:      { PyObject_HEAD; PyObject *md_dict; }
 * 3.x-3.9:  { PyObject_HEAD; PyObject *md_dict; struct PyModuleDef *md_def;
 *             void *md_state; PyObject *md_weaklist; PyObject *md_name; }  */
typedef struct {
    PyObject_HEAD
    PyObject *md_dict;
#if PY_MAJOR_VERSION >= 3
    struct PyModuleDef *md_def;
    void *md_state;
    PyObject *md_weaklist;
    PyObject *md_name;
#endif
} PyModuleObject;
#endif

#if PY_MAJOR_VERSION >= 3 && PY_VERSION_HEX < 0x030B0000
/* PRIVATE LAYOUT: Objects/dict-common.h (3.6-3.10; merged into
 * Include/internal/pycore_dict.h in 3.11).  The public dictobject.h only
 * declares "typedef struct _dictkeysobject PyDictKeysObject;", so completing
 * the struct here is what the interpreter itself does.
 *   typedef struct { Py_hash_t me_hash; PyObject *me_key; PyObject *me_value; } PyDictKeyEntry;
 *   struct _dictkeysobject {
 *       Py_ssize_t dk_refcnt; Py_ssize_t dk_size; dict_lookup_func dk_lookup;
 *       Py_ssize_t dk_usable; Py_ssize_t dk_nentries;
 *       3.6:     union { int8_t as_1[8]; int16_t as_2[4]; int32_t as_4[2];
 *                        int64_t as_8[1]; } dk_indices;   (as_8 only if SIZEOF_VOID_P > 4)
 *       3.7-3.10: char dk_indices[];
 *   };
 * dict_lookup_func is a function pointer; its parameter list differs between
 * versions but not its size. */
typedef struct {
    Py_hash_t me_hash;
    PyObject *me_key;
    PyObject *me_value;
} PyDictKeyEntry;

struct _dictkeysobject {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;                 /* dict_lookup_func */
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
#if PY_VERSION_HEX < 0x03070000
    union {
        int8_t as_1[8];
        int16_t as_2[4];
        int32_t as_4[2];
#if SIZEOF_VOID_P > 4
        int64_t as_8[1];
#endif
    } dk_indices;
#else
    char dk_indices[];
#endif
};
#endif

/* ------------------------------------------------------------------------ */

static void emit(const char *key, long long value)
{
    printf("%s=%lld\n", key, value);
}

/* OFF("Logical.key", CType, c.member.path) */
#define OFF(key, type, member)   emit(key, (long long)offsetof(type, member))
/* SIZE("Logical", CType)  ->  sizeof.Logical */
#define SIZE(name, type)         emit("sizeof." name, (long long)sizeof(type))
/* FSIZE("Logical", CType, member) -> sizeof.Logical: byte size of one field */
#define FSIZE(name, type, member) emit("sizeof." name, (long long)sizeof(((type *)0)->member))
#define CONST(name, expr)        emit("const." name, (long long)(expr))

/* Position of a bitfield inside the 32-bit word PyASCIIObject.state:
 * set every bit of the field in a zeroed object and look which bits moved. */
#if PY_MAJOR_VERSION >= 3
#define STATE_BITS(name, field) do {                                        \
        PyASCIIObject o_;                                                   \
        unsigned int w_ = 0;                                                \
        memset(&o_, 0, sizeof o_);                                          \
        o_.state.field = 0; o_.state.field--;  /* all ones */             \
        memcpy(&w_, (char *)&o_ + offsetof(PyASCIIObject, state),           \
               sizeof(o_.state) < sizeof w_ ? sizeof(o_.state) : sizeof w_); \
        int shift_ = 0, width_ = 0;                                         \
        while (shift_ < 32 && !(w_ & (1u << shift_))) shift_++;             \
        while (shift_ + width_ < 32 && (w_ & (1u << (shift_ + width_)))) width_++; \
        CONST("UNICODE_STATE_" name "_SHIFT", shift_);                      \
        CONST("UNICODE_STATE_" name "_BITS", width_);                       \
    } while (0)
#endif

#ifdef PYSPY_DEBUG_OFFSETS_FIELDS
static void debug_offsets(void)
{
#  define DEBUG_FIELD(path) emit("debug." #path, (long long)offsetof(_Py_DebugOffsets, path));
#  include PYSPY_DEBUG_OFFSETS_FIELDS
#  undef DEBUG_FIELD
    emit("debug.sizeof", (long long)sizeof(_Py_DebugOffsets));
}
#endif

int main(void)
{
    CONST("PY_VERSION_HEX", PY_VERSION_HEX);
    CONST("SIZEOF_VOID_P", sizeof(void *));

    /* --- object header ------------------------------------------------- */
#ifdef Py_GIL_DISABLED
    /* free-threaded header: ob_tid, flags, mutex, gc bits, split refcounts, then ob_type */
    OFF("PyObject.ob_tid", PyObject, ob_tid);
    OFF("PyObject.ob_ref_local", PyObject, ob_ref_local);
    OFF("PyObject.ob_ref_shared", PyObject, ob_ref_shared);
    CONST("Py_GIL_DISABLED", 1);
#else
    OFF("PyObject.ob_refcnt", PyObject, ob_refcnt);
#endif
    OFF("PyObject.ob_type", PyObject, ob_type);
    SIZE("PyObject", PyObject);
    OFF("PyVarObject.ob_size", PyVarObject, ob_size);
    SIZE("PyVarObject", PyVarObject);

    /* --- types --------------------------------------------------------- */
    OFF("PyTypeObject.tp_name", PyTypeObject, tp_name);
    OFF("PyTypeObject.tp_basicsize", PyTypeObject, tp_basicsize);
    OFF("PyTypeObject.tp_itemsize", PyTypeObject, tp_itemsize);
    OFF("PyTypeObject.tp_flags", PyTypeObject, tp_flags);
    OFF("PyTypeObject.tp_base", PyTypeObject, tp_base);
    OFF("PyTypeObject.tp_dictoffset", PyTypeObject, tp_dictoffset);
    SIZE("PyTypeObject", PyTypeObject);
    SIZE("PyHeapTypeObject", PyHeapTypeObject);
#if PY_VERSION_HEX >= 0x03060000
    OFF("PyHeapTypeObject.ht_cached_keys", PyHeapTypeObject, ht_cached_keys);
#endif
    CONST("Py_TPFLAGS_HEAPTYPE", Py_TPFLAGS_HEAPTYPE);
#if PY_VERSION_HEX >= 0x030B0000
    CONST("Py_TPFLAGS_MANAGED_DICT", Py_TPFLAGS_MANAGED_DICT);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    CONST("Py_TPFLAGS_INLINE_VALUES", Py_TPFLAGS_INLINE_VALUES);
#endif

    /* --- runtime and interpreter -------------------------------------- */
#if PY_VERSION_HEX >= 0x03070000
    OFF("_PyRuntimeState.interpreters_head", _PyRuntimeState, interpreters.head);
    OFF("_PyRuntimeState.interpreters_main", _PyRuntimeState, interpreters.main);
    SIZE("_PyRuntimeState", _PyRuntimeState);
#endif
#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x030C0000
    OFF("_PyRuntimeState.tstate_current", _PyRuntimeState, gilstate.tstate_current);
    /* the one GIL of every interpreter, embedded in the runtime */
    OFF("_PyRuntimeState.gil", _PyRuntimeState, ceval.gil);
#endif
#if PY_VERSION_HEX >= 0x03070000
    OFF("_gil_runtime_state.locked", struct _gil_runtime_state, locked);
    OFF("_gil_runtime_state.last_holder", struct _gil_runtime_state, last_holder);
    FSIZE("_gil_runtime_state_locked", struct _gil_runtime_state, locked);
    SIZE("_gil_runtime_state", struct _gil_runtime_state);
    /* counts the GIL changing hands (take_gil, when the taker is not the last holder) */
    OFF("_gil_runtime_state.switch_number", struct _gil_runtime_state, switch_number);
    FSIZE("_gil_runtime_state_switch_number", struct _gil_runtime_state, switch_number);
#endif

    OFF("PyInterpreterState.next", PyInterpreterState, next);
#if PY_VERSION_HEX >= 0x030B0000
    OFF("PyInterpreterState.tstate_head", PyInterpreterState, threads.head);
#else
    OFF("PyInterpreterState.tstate_head", PyInterpreterState, tstate_head);
#endif
#if PY_VERSION_HEX >= 0x030C0000
    OFF("PyInterpreterState.modules", PyInterpreterState, imports.modules);
#else
    OFF("PyInterpreterState.modules", PyInterpreterState, modules);
#endif
    OFF("PyInterpreterState.sysdict", PyInterpreterState, sysdict);
    OFF("PyInterpreterState.builtins", PyInterpreterState, builtins);
#if PY_VERSION_HEX >= 0x03070000
    OFF("PyInterpreterState.id", PyInterpreterState, id);
#endif
    SIZE("PyInterpreterState", PyInterpreterState);

#if PY_VERSION_HEX >= 0x030C0000
    /* per-interpreter GIL: interp->ceval.gil points at struct _gil_runtime_state */
    OFF("PyInterpreterState.gil", PyInterpreterState, ceval.gil);
    /* the interpreter's own GIL, embedded; ceval.gil normally points here */
    OFF("PyInterpreterState._gil", PyInterpreterState, _gil);
#endif

    /* --- threads ------------------------------------------------------ */
#if PY_MAJOR_VERSION >= 3
    OFF("PyThreadState.prev", PyThreadState, prev);
#endif
    OFF("PyThreadState.next", PyThreadState, next);
    OFF("PyThreadState.interp", PyThreadState, interp);
    OFF("PyThreadState.thread_id", PyThreadState, thread_id);
#if PY_VERSION_HEX < 0x030B0000
    OFF("PyThreadState.frame", PyThreadState, frame);
#elif PY_VERSION_HEX < 0x030D0000
    OFF("PyThreadState.cframe", PyThreadState, cframe);
    OFF("_PyCFrame.current_frame", _PyCFrame, current_frame);
    OFF("_PyCFrame.previous", _PyCFrame, previous);
    SIZE("_PyCFrame", _PyCFrame);
#else
    OFF("PyThreadState.current_frame", PyThreadState, current_frame);
#endif
#if PY_VERSION_HEX >= 0x030B0000
    OFF("PyThreadState.native_thread_id", PyThreadState, native_thread_id);
    OFF("PyThreadState.datastack_chunk", PyThreadState, datastack_chunk);
#endif
    SIZE("PyThreadState", PyThreadState);

    /* --- exceptions: the one being raised, the stack of ones being handled (--mode exception) --- */
#if PY_VERSION_HEX < 0x030C0000
    OFF("PyThreadState.curexc_type", PyThreadState, curexc_type);
#else
    OFF("PyThreadState.current_exception", PyThreadState, current_exception);
#endif
#if PY_VERSION_HEX < 0x03070000
    OFF("PyThreadState.exc_type", PyThreadState, exc_type);
#else
    OFF("PyThreadState.exc_info", PyThreadState, exc_info);
    OFF("PyThreadState.exc_state", PyThreadState, exc_state);
    OFF("_PyErr_StackItem.exc_value", _PyErr_StackItem, exc_value);
    OFF("_PyErr_StackItem.previous_item", _PyErr_StackItem, previous_item);
    SIZE("_PyErr_StackItem", _PyErr_StackItem);
#  if PY_VERSION_HEX < 0x030B0000
    OFF("_PyErr_StackItem.exc_type", _PyErr_StackItem, exc_type);
#  endif
#endif

    /* --- the cyclic garbage collector's state (<GC> frames); 2.7 and 3.6 keep it in static
     * variables of gcmodule.c, out of any struct --- */
#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x03090000
    OFF("_PyRuntimeState.gc", _PyRuntimeState, gc);
#elif PY_VERSION_HEX >= 0x03090000
    OFF("PyInterpreterState.gc", PyInterpreterState, gc);
#endif
#if PY_VERSION_HEX >= 0x03070000
    OFF("_gc_runtime_state.collecting", struct _gc_runtime_state, collecting);
    FSIZE("_gc_runtime_state_collecting", struct _gc_runtime_state, collecting);
    SIZE("_gc_runtime_state", struct _gc_runtime_state);
#endif

    /* --- frames ------------------------------------------------------- */
#if PY_VERSION_HEX < 0x030B0000
    OFF("PyFrameObject.f_back", PyFrameObject, f_back);
    OFF("PyFrameObject.f_code", PyFrameObject, f_code);
    OFF("PyFrameObject.f_lineno", PyFrameObject, f_lineno);
    OFF("PyFrameObject.f_lasti", PyFrameObject, f_lasti);
    OFF("PyFrameObject.f_localsplus", PyFrameObject, f_localsplus);
    FSIZE("PyFrameObject_f_lineno", PyFrameObject, f_lineno);
    FSIZE("PyFrameObject_f_lasti", PyFrameObject, f_lasti);
    SIZE("PyFrameObject", PyFrameObject);
#else
#  if PY_VERSION_HEX >= 0x030D0000
    OFF("_PyInterpreterFrame.executable", _PyInterpreterFrame, f_executable);
    OFF("_PyInterpreterFrame.instr", _PyInterpreterFrame, instr_ptr);
#  else
    OFF("_PyInterpreterFrame.executable", _PyInterpreterFrame, f_code);
    OFF("_PyInterpreterFrame.instr", _PyInterpreterFrame, prev_instr);
#  endif
    OFF("_PyInterpreterFrame.previous", _PyInterpreterFrame, previous);
    OFF("_PyInterpreterFrame.localsplus", _PyInterpreterFrame, localsplus);
#  if PY_VERSION_HEX >= 0x030E0000
    OFF("_PyInterpreterFrame.stackpointer", _PyInterpreterFrame, stackpointer);
#  else
    OFF("_PyInterpreterFrame.stacktop", _PyInterpreterFrame, stacktop);
#  endif
    OFF("_PyInterpreterFrame.owner", _PyInterpreterFrame, owner);
#  if PY_VERSION_HEX >= 0x030E0000 && defined(Py_GIL_DISABLED)
    /* thread-local bytecode: instr_ptr points into co_tlbc->entries[tlbc_index] */
    OFF("_PyInterpreterFrame.tlbc_index", _PyInterpreterFrame, tlbc_index);
    OFF("PyCodeObject.co_tlbc", PyCodeObject, co_tlbc);
    OFF("_PyCodeArray.entries", _PyCodeArray, entries);
    SIZE("_PyCodeArray", _PyCodeArray);
#  endif
#  if PY_VERSION_HEX < 0x030C0000
    OFF("_PyInterpreterFrame.is_entry", _PyInterpreterFrame, is_entry);
#  endif
    SIZE("_PyInterpreterFrame", _PyInterpreterFrame);
    SIZE("_Py_CODEUNIT", _Py_CODEUNIT);
    CONST("FRAME_OWNED_BY_THREAD", FRAME_OWNED_BY_THREAD);
    CONST("FRAME_OWNED_BY_GENERATOR", FRAME_OWNED_BY_GENERATOR);
    CONST("FRAME_OWNED_BY_FRAME_OBJECT", FRAME_OWNED_BY_FRAME_OBJECT);
#  if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030F0000
    CONST("FRAME_OWNED_BY_CSTACK", FRAME_OWNED_BY_CSTACK);   /* 3.12-3.14 */
#  endif
#  if PY_VERSION_HEX >= 0x030E0000
    CONST("FRAME_OWNED_BY_INTERPRETER", FRAME_OWNED_BY_INTERPRETER);
#  endif
#  ifdef Py_TAG_BITS
    /* 3.14+: frames hold tagged _PyStackRef words (f_executable, localsplus) */
    CONST("Py_TAG_BITS", Py_TAG_BITS);
#  endif
#endif

    /* --- code objects ------------------------------------------------- */
    OFF("PyCodeObject.co_argcount", PyCodeObject, co_argcount);
#if PY_VERSION_HEX >= 0x03080000
    OFF("PyCodeObject.co_posonlyargcount", PyCodeObject, co_posonlyargcount);
#endif
#if PY_MAJOR_VERSION >= 3
    OFF("PyCodeObject.co_kwonlyargcount", PyCodeObject, co_kwonlyargcount);
#endif
    OFF("PyCodeObject.co_nlocals", PyCodeObject, co_nlocals);
    OFF("PyCodeObject.co_flags", PyCodeObject, co_flags);
    OFF("PyCodeObject.co_firstlineno", PyCodeObject, co_firstlineno);
    OFF("PyCodeObject.co_filename", PyCodeObject, co_filename);
    OFF("PyCodeObject.co_name", PyCodeObject, co_name);
#if PY_VERSION_HEX >= 0x030B0000
    OFF("PyCodeObject.co_qualname", PyCodeObject, co_qualname);
    OFF("PyCodeObject.co_localsplusnames", PyCodeObject, co_localsplusnames);
    OFF("PyCodeObject.co_localspluskinds", PyCodeObject, co_localspluskinds);
    OFF("PyCodeObject.co_nlocalsplus", PyCodeObject, co_nlocalsplus);
#  if PY_VERSION_HEX >= 0x030C0000
    OFF("PyCodeObject.co_framesize", PyCodeObject, co_framesize);
#  endif
    OFF("PyCodeObject.co_code_adaptive", PyCodeObject, co_code_adaptive);
#else
    OFF("PyCodeObject.co_varnames", PyCodeObject, co_varnames);
    OFF("PyCodeObject.co_code", PyCodeObject, co_code);
#endif
#if PY_VERSION_HEX >= 0x030A0000
    OFF("PyCodeObject.co_linetable", PyCodeObject, co_linetable);
#else
    OFF("PyCodeObject.co_linetable", PyCodeObject, co_lnotab);
#endif
    FSIZE("PyCodeObject_co_firstlineno", PyCodeObject, co_firstlineno);
    SIZE("PyCodeObject", PyCodeObject);

    /* --- strings ------------------------------------------------------ */
#if PY_MAJOR_VERSION >= 3
    OFF("PyASCIIObject.length", PyASCIIObject, length);
    OFF("PyASCIIObject.hash", PyASCIIObject, hash);
    OFF("PyASCIIObject.state", PyASCIIObject, state);
    FSIZE("PyASCIIObject_state", PyASCIIObject, state);
    SIZE("PyASCIIObject", PyASCIIObject);
    SIZE("PyCompactUnicodeObject", PyCompactUnicodeObject);
    OFF("PyUnicodeObject.data", PyUnicodeObject, data.any);
#if PY_VERSION_HEX < 0x030C0000
    /* up to 3.11 a legacy string not made ready yet keeps its text only in wstr */
    OFF("PyASCIIObject.wstr", PyASCIIObject, wstr);
    OFF("PyCompactUnicodeObject.wstr_length", PyCompactUnicodeObject, wstr_length);
#endif
    SIZE("PyUnicodeObject", PyUnicodeObject);
    STATE_BITS("KIND", kind);
    STATE_BITS("COMPACT", compact);
    STATE_BITS("ASCII", ascii);
    OFF("PyBytesObject.ob_sval", PyBytesObject, ob_sval);
    SIZE("PyBytesObject", PyBytesObject);
#else
    OFF("PyStringObject.ob_sval", PyStringObject, ob_sval);
    OFF("PyStringObject.ob_shash", PyStringObject, ob_shash);
    SIZE("PyStringObject", PyStringObject);
    OFF("PyUnicodeObject.length", PyUnicodeObject, length);
    OFF("PyUnicodeObject.str", PyUnicodeObject, str);
    SIZE("PyUnicodeObject", PyUnicodeObject);
    CONST("Py_UNICODE_SIZE", Py_UNICODE_SIZE);
    OFF("PyIntObject.ob_ival", PyIntObject, ob_ival);
    SIZE("PyIntObject", PyIntObject);
    OFF("PyInstanceObject.in_dict", PyInstanceObject, in_dict);   /* old-style class instances */
    SIZE("PyInstanceObject", PyInstanceObject);
#endif

    /* --- containers and numbers -------------------------------------- */
    OFF("PyTupleObject.ob_item", PyTupleObject, ob_item);
    SIZE("PyTupleObject", PyTupleObject);
    OFF("PyListObject.ob_item", PyListObject, ob_item);
    SIZE("PyListObject", PyListObject);
    OFF("PyFloatObject.ob_fval", PyFloatObject, ob_fval);
    SIZE("PyFloatObject", PyFloatObject);

#if PY_VERSION_HEX >= 0x030C0000
    OFF("PyLongObject.ob_digit", PyLongObject, long_value.ob_digit);
    OFF("PyLongObject.lv_tag", PyLongObject, long_value.lv_tag);
    CONST("PyLong_NON_SIZE_BITS", _PyLong_NON_SIZE_BITS);
    CONST("PyLong_SIGN_MASK", _PyLong_SIGN_MASK);
#else
    OFF("PyLongObject.ob_digit", PyLongObject, ob_digit);
#endif
    SIZE("PyLongObject", PyLongObject);
    CONST("PyLong_SHIFT", PyLong_SHIFT);
    SIZE("digit", digit);

    /* --- dicts -------------------------------------------------------- */
    OFF("PyDictObject.ma_used", PyDictObject, ma_used);
    SIZE("PyDictObject", PyDictObject);
#if PY_MAJOR_VERSION < 3
    OFF("PyDictObject.ma_fill", PyDictObject, ma_fill);
    OFF("PyDictObject.ma_mask", PyDictObject, ma_mask);
    OFF("PyDictObject.ma_table", PyDictObject, ma_table);
    OFF("PyDictEntry.me_hash", PyDictEntry, me_hash);
    OFF("PyDictEntry.me_key", PyDictEntry, me_key);
    OFF("PyDictEntry.me_value", PyDictEntry, me_value);
    SIZE("PyDictEntry", PyDictEntry);
#else
    OFF("PyDictObject.ma_keys", PyDictObject, ma_keys);
    OFF("PyDictObject.ma_values", PyDictObject, ma_values);
#endif
#if PY_VERSION_HEX >= 0x03060000
    OFF("PyDictKeysObject.dk_refcnt", PyDictKeysObject, dk_refcnt);
#  if PY_VERSION_HEX >= 0x030B0000
    OFF("PyDictKeysObject.dk_log2_size", PyDictKeysObject, dk_log2_size);
    OFF("PyDictKeysObject.dk_log2_index_bytes", PyDictKeysObject, dk_log2_index_bytes);
    OFF("PyDictKeysObject.dk_kind", PyDictKeysObject, dk_kind);
    FSIZE("PyDictKeysObject_dk_log2_size", PyDictKeysObject, dk_log2_size);
    CONST("DICT_KEYS_GENERAL", DICT_KEYS_GENERAL);
    CONST("DICT_KEYS_UNICODE", DICT_KEYS_UNICODE);
    CONST("DICT_KEYS_SPLIT", DICT_KEYS_SPLIT);
#  else
    OFF("PyDictKeysObject.dk_size", PyDictKeysObject, dk_size);
#  endif
    OFF("PyDictKeysObject.dk_usable", PyDictKeysObject, dk_usable);
    OFF("PyDictKeysObject.dk_nentries", PyDictKeysObject, dk_nentries);
    OFF("PyDictKeysObject.dk_indices", PyDictKeysObject, dk_indices);
    SIZE("PyDictKeysObject", PyDictKeysObject);
    OFF("PyDictKeyEntry.me_hash", PyDictKeyEntry, me_hash);
    OFF("PyDictKeyEntry.me_key", PyDictKeyEntry, me_key);
    OFF("PyDictKeyEntry.me_value", PyDictKeyEntry, me_value);
    SIZE("PyDictKeyEntry", PyDictKeyEntry);
#endif
#if PY_VERSION_HEX >= 0x030B0000
    OFF("PyDictUnicodeEntry.me_key", PyDictUnicodeEntry, me_key);
    OFF("PyDictUnicodeEntry.me_value", PyDictUnicodeEntry, me_value);
    SIZE("PyDictUnicodeEntry", PyDictUnicodeEntry);
    OFF("PyDictValues.values", PyDictValues, values);
    SIZE("PyDictValues", PyDictValues);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    OFF("PyDictValues.capacity", PyDictValues, capacity);
    OFF("PyDictValues.size", PyDictValues, size);
    OFF("PyDictValues.embedded", PyDictValues, embedded);
    OFF("PyDictValues.valid", PyDictValues, valid);
#endif

    /* --- managed dicts (3.11+): where an instance keeps its __dict__ --- */
#if PY_VERSION_HEX >= 0x030B0000
    {
        /* The headers express these as inline functions (3.11, 3.12) or
         * macros (3.11, 3.13) over an object pointer; evaluate them on a
         * fake object address (nothing is dereferenced; asserts are off). */
        static char buf[256];
        PyObject *obj = (PyObject *)(buf + 128);
#  if PY_VERSION_HEX >= 0x030E0000
        /* 3.14's _PyObject_InlineValues reads the type's tp_basicsize: give the fake object a
         * fake type shaped like a plain class deriving from object */
        static PyTypeObject fake_type;
        fake_type.tp_basicsize = sizeof(PyObject);
        fake_type.tp_flags = Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_INLINE_VALUES;
        obj->ob_type = &fake_type;
#  endif
#  if PY_VERSION_HEX >= 0x030D0000 || PY_VERSION_HEX < 0x030C0000
        CONST("MANAGED_DICT_OFFSET", MANAGED_DICT_OFFSET);
#  else
        CONST("MANAGED_DICT_OFFSET", (char *)_PyObject_DictOrValuesPointer(obj) - (char *)obj);
#  endif
#  if PY_VERSION_HEX < 0x030C0000
        CONST("MANAGED_VALUES_OFFSET", (char *)_PyObject_ValuesPointer(obj) - (char *)obj);
        /* cross-check: the macro and the inline accessor must agree */
        if ((char *)_PyObject_ManagedDictPointer(obj) - (char *)obj != MANAGED_DICT_OFFSET) {
            fprintf(stderr, "layout-probe: MANAGED_DICT_OFFSET disagrees with _PyObject_ManagedDictPointer\n");
            return 1;
        }
#  elif PY_VERSION_HEX >= 0x030D0000
        if ((char *)_PyObject_ManagedDictPointer(obj) - (char *)obj != MANAGED_DICT_OFFSET) {
            fprintf(stderr, "layout-probe: MANAGED_DICT_OFFSET disagrees with _PyObject_ManagedDictPointer\n");
            return 1;
        }
        /* inline values sit right after the object header (tp_basicsize) */
        CONST("INLINE_VALUES_OFFSET", (char *)_PyObject_InlineValues(obj) - (char *)obj);
#  endif
#  ifdef MANAGED_WEAKREF_OFFSET
        CONST("MANAGED_WEAKREF_OFFSET", MANAGED_WEAKREF_OFFSET);
#  endif
        (void)obj;
    }
#endif

    /* --- modules ------------------------------------------------------ */
    OFF("PyModuleObject.md_dict", PyModuleObject, md_dict);
    SIZE("PyModuleObject", PyModuleObject);

    /* --- asyncio (--async-aware, 3.8+): task sets, awaited objects ------ */
#if PY_VERSION_HEX >= 0x03080000
    /* the WeakSets of tasks (3.8-3.13): a set of weak references */
    OFF("PySetObject.table", PySetObject, table);
    OFF("PySetObject.mask", PySetObject, mask);
    SIZE("PySetObject", PySetObject);
    OFF("setentry.key", setentry, key);
    SIZE("setentry", setentry);
    OFF("PyWeakReference.wr_object", PyWeakReference, wr_object);
    SIZE("PyWeakReference", PyWeakReference);
    /* a TaskGroup's done callback on its child tasks is a bound method */
    OFF("PyMethodObject.im_self", PyMethodObject, im_self);
    SIZE("PyMethodObject", PyMethodObject);
    SIZE("PyGenObject", PyGenObject);
    /* a suspended coroutine's frame: its value stack's top is what it awaits */
#  if PY_VERSION_HEX < 0x030B0000
    OFF("PyGenObject.gi_frame", PyGenObject, gi_frame);
#    if PY_VERSION_HEX < 0x030A0000
    OFF("PyFrameObject.f_stacktop", PyFrameObject, f_stacktop);
#    else
    OFF("PyFrameObject.f_valuestack", PyFrameObject, f_valuestack);
    OFF("PyFrameObject.f_stackdepth", PyFrameObject, f_stackdepth);
#    endif
#  else
    OFF("PyGenObject.gi_iframe", PyGenObject, gi_iframe);
    OFF("PyGenObject.gi_frame_state", PyGenObject, gi_frame_state);
    FSIZE("PyGenObject_gi_frame_state", PyGenObject, gi_frame_state);
    CONST("FRAME_SUSPENDED", FRAME_SUSPENDED);
    CONST("FRAME_CLEARED", FRAME_CLEARED);       /* the frame is gone (3.15 renumbered the states) */
#    if PY_VERSION_HEX < 0x030F0000
    CONST("FRAME_COMPLETED", FRAME_COMPLETED);   /* the frame is gone too */
#    endif
#    if PY_VERSION_HEX >= 0x030D0000
    CONST("FRAME_SUSPENDED_YIELD_FROM", FRAME_SUSPENDED_YIELD_FROM);
#    endif
#    if PY_VERSION_HEX >= 0x030F0000
    CONST("FRAME_SUSPENDED_YIELD_FROM_LOCKED", FRAME_SUSPENDED_YIELD_FROM_LOCKED);
#    endif
#  endif
#endif
#if PY_VERSION_HEX >= 0x030E0000
    /* 3.14+: every asyncio.Task is in a circular list headed in its thread's state (the
     * interpreter's once that thread is gone) */
    OFF("_PyThreadStateImpl.asyncio_tasks_head", _PyThreadStateImpl, asyncio_tasks_head);
    OFF("_PyThreadStateImpl.asyncio_running_task", _PyThreadStateImpl, asyncio_running_task);
    OFF("PyInterpreterState.asyncio_tasks_head", PyInterpreterState, asyncio_tasks_head);
    OFF("llist_node.next", struct llist_node, next);
    SIZE("llist_node", struct llist_node);
    SIZE("_PyThreadStateImpl", _PyThreadStateImpl);
#endif

#ifdef PYSPY_DEBUG_OFFSETS_FIELDS
    debug_offsets();
#endif
    return 0;
}
