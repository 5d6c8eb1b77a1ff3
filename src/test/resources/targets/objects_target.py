"""Builds objects of every kind PyObjects reads, then writes the truth file argv[1]: the Python
version and, per object, its id() and what Python itself says of it (repr, attributes, dict items,
int value). Then sleeps, keeping them all alive. Python 2.7 and 3.6+."""
import os, sys, json, threading, time, random, warnings
warnings.simplefilter('ignore')
PY2 = sys.version_info[0] == 2
text_type = unicode if PY2 else str
if PY2:
    import thread
    get_ident = thread.get_ident
else:
    get_ident = threading.get_ident

KEEP = []
RECORDS = []

def add(label, obj, exact=True, **kw):
    rec = {'label': label, 'id': id(obj), 'type': type(obj).__name__}
    if exact:
        r = repr(obj)
        if len(r) <= 5000:
            rec['repr'] = r
        else:
            rec['reprHead'] = r[:1000]
            rec['reprLen'] = len(r)
    rec.update(kw)
    RECORDS.append(rec)
    KEEP.append(obj)

class Named(object):
    def __init__(self, name):
        self._name = name
        self._ident = 42
        self.daemon = False

class Wide(object):
    def __init__(self):
        for i in range(40):
            setattr(self, 'a%d' % i, i)
        self._name = 'wide'

class Plain(object):
    pass

class S(text_type):
    pass

# strings of every representation
if PY2:
    for label, s in [('str-ascii', 'abc'), ('str-empty', ''), ('str-utf8', 'h\xc3\xa9llo'),
                     ('str-invalid-utf8', 'a\xff\xfeb'), ('str-quotes', 'it\'s'),
                     ('str-both-quotes', 'both \' and "'), ('str-escapes', 'tab\there\nnl\r\x00\x7f\\')]:
        add(label, s, text=s.decode('utf-8', 'replace'))
    for label, s in [('unicode-latin1', u'h\xe9llo'), ('unicode-ucs2', u'\u03a9\u2248\xe7'),
                     ('unicode-astral', u'\U0001F600x'), ('unicode-quotes', u'it\'s "q"'),
                     ('unicode-dquote', u'it\'s'), ('unicode-escapes', u'\x00\x7f\x80\xff\t\u200b')]:
        add(label, s, text=s)
    big = 'x' * 100000 + 'end'
    add('str-100k', big, text=big)
else:
    for label, s in [('str-ascii', 'abc'), ('str-empty', ''), ('str-latin1', 'h\xe9llo'),
                     ('str-ucs2', '\u03a9\u2248\xe7'), ('str-ucs4', '\U0001F600x'),
                     ('str-quotes', "it's"), ('str-dquotes', 'say "hi"'), ('str-both-quotes', 'both \' and "'),
                     ('str-escapes', 'tab\there\nnl\r\x00\x7f\\'),
                     ('str-nonprintable', '\u200b\xa0\xad\u2028x'), ('str-surrogate', 'a\ud800b'),
                     ('str-astral-nonprintable', '\U000e0001\U0010fffd')]:
        add(label, s, text=s)
    for label, s in [('strsub-latin1', S('h\xe9llo')), ('strsub-ascii', S('abc')),
                     ('strsub-ucs4', S('\U0001F600'))]:
        add(label, s, exact=False, text=text_type(s))
    big = 'x' * 100000 + 'end'
    add('str-100k', big, text=big)
    if sys.version_info < (3, 12):
        # a legacy string not made ready: its text is only in wstr (wchar_t, 4 bytes here)
        import ctypes
        new_legacy = ctypes.pythonapi.PyUnicode_FromUnicode
        new_legacy.restype = ctypes.py_object
        new_legacy.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
        as_wstr = ctypes.pythonapi.PyUnicode_AsUnicode
        as_wstr.restype = ctypes.c_void_p
        as_wstr.argtypes = [ctypes.py_object]
        wtext = 'h\xe9\U0001F600lo'
        legacy = new_legacy(None, len(wtext))
        ctypes.memmove(as_wstr(legacy), wtext.encode('utf-32-le'), 4 * len(wtext))
        add('str-legacy-not-ready', legacy, exact=False, text=wtext)
    add('bytes-empty', b'')
    add('bytes-ascii', b'abc')
    add('bytes-mixed', b'\x00\xff\'"\\\t')
    add('bytes-all', bytes(bytearray(range(256))))
    add('bytes-100k', b'y' * 100000)

# numbers
for label, v in [('int-0', 0), ('int-neg5', -5), ('int-2^100', 2 ** 100), ('int-neg2^70', -(2 ** 70)),
                 ('int-2^63', 2 ** 63), ('int-2^64-1', 2 ** 64 - 1), ('int-2^30', 2 ** 30),
                 ('int-2^60+7', 2 ** 60 + 7), ('int-neg2^63', -(2 ** 63)), ('int-big', 7 ** 400)]:
    add(label, v, int=str(v))
if PY2:
    add('long-small', long(7), int='7')
    add('long-zero', long(0), int='0')
add('bool-true', True, int='1')
add('bool-false', False, int='0')
add('none', None)
rnd = random.Random(1234)
specials = [0.1, 1e20, -1.5, float('inf'), float('-inf'), float('nan'), 0.0, -0.0, 1e16, 1e15,
            1e-5, 1e-4, 5e-324, 1.7976931348623157e308, 123456789.123, 2.0 ** 60, 0.3, 2 / 3.0,
            1e22, 1e23, 9007199254740993.0, 100.0, 1.5e300, 2.2250738585072014e-308]
randoms = [rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30) for _ in range(300)]
powers = [2.0 ** e for e in range(-1074, 1024, 11)]
for i, f in enumerate(specials + randoms + powers):
    add('float-%d' % i, f)

# sequences
add('tuple-empty', ())
add('tuple-1', (1,))
add('tuple-3', (1, 'a', None))
add('list-empty', [])
add('list-nested', [1, [2, [3, [4, [5]]]]])
add('list-mixed', [1.5, 'two', b'3', (4,), {'five': 5}, None, True])
selfref = [1]
selfref.append(selfref)
add('list-self', selfref)
tl = ([],)
tl[0].append(tl)
add('tuple-list-cycle', tl)
deep = ['bottom']
for _ in range(10):
    deep = [deep]
add('list-deep', deep, exact=False)
add('list-100k', list(range(100000)))

# dicts
add('dict-empty', {})
add('dict-str', {'a': 1, 'b': [1, 2], 'c': {'d': None}})
gd = {1: 'x', (1, 2): None, 'k': 2.5, 2.5: b'b'}
add('dict-general', gd, lookups={'k': id(gd['k']), 'x': 0})
dd = dict((str(i), i) for i in range(20))
for i in range(0, 20, 3):
    del dd[str(i)]
dd['new'] = -1
add('dict-deleted', dd, lookups={'new': id(dd['new']), '19': id(dd['19']), '0': 0})
# keys of every text kind: the one-read comparison of compact ASCII keys must leave the
# others (latin-1, UCS-2, a str subclass, a same-length near miss, a non-str) to the full one
tk = {u'caf\xe9': 1, u'\u043a\u043b\u044e\u0447': 2, 'kk': 3, S('sub'): 4, 42: 5, 'k' * 40: 6}
add('dict-text-keys', tk, exact=False, lookups={u'caf\xe9': id(tk[u'caf\xe9']),
                                                u'\u043a\u043b\u044e\u0447': id(tk[u'\u043a\u043b\u044e\u0447']),
                                                'kk': id(tk['kk']), 'sub': id(tk['sub']), 'k' * 40: id(tk['k' * 40]),
                                                'kx': 0, 'caf': 0, 'k' * 39: 0})
ds = {'k': 1}
ds['self'] = ds
add('dict-self', ds)
add('dict-100k', dict((i, i) for i in range(100000)))

# instances and their dicts in every layout
t1 = Named('worker-1')
add('inst-values', t1, exact=False, attrs={'_name': id(t1._name), '_ident': id(t1._ident), '_missing': 0})
n1 = Named('n1')
nd = n1.__dict__
add('inst-dict-materialized', n1, exact=False, attrs={'_name': id(n1._name), 'nope': 0})
add('split-dict', nd, lookups={'_name': id(nd['_name']), 'daemon': id(nd['daemon']), 'nope': 0})
q = Plain()
q.a = 1
q.b = 2
del q.a
q.a = 3
add('inst-reordered', q, exact=False, attrs={'a': id(q.a), 'b': id(q.b)})
add('split-dict-reordered', q.__dict__)
t3 = Named('t3')
del t3._ident
add('inst-deleted-attr', t3, exact=False, attrs={'_name': id(t3._name), '_ident': 0})
t4 = Named('t4')
t4.__dict__ = {'_name': 'replaced'}
add('inst-dict-replaced', t4, exact=False, attrs={'_name': id(t4._name), '_ident': 0})
wide = Wide()
add('inst-wide', wide, exact=False, attrs={'_name': id(wide._name), 'a39': id(wide.a39)})
add('inst-empty', Plain(), exact=False, attrs={'x': 0})
if PY2:
    class Old:
        def __init__(self):
            self._name = 'old-style'
    old = Old()
    add('inst-oldstyle', old, exact=False, attrs={'_name': id(old._name)})
th = threading.Thread(name='worker-7', target=len)
name_attr = '_Thread__name' if PY2 else '_name'
add('thread-unstarted', th, exact=False, attrs={name_attr: id(getattr(th, name_attr))})
main = threading.current_thread()
add('thread-main', main, exact=False, attrs={name_attr: id(getattr(main, name_attr))},
    mainName=getattr(main, name_attr))
mod = sys.modules['threading']
add('module-threading', mod, exact=False, attrs={'_active': id(threading._active), 'nope_zz': 0})
key = [k for k in threading._active if threading._active[k] is main][0]
add('threading-active', threading._active, exact=False, items=[[id(key), id(main)]])
add('thread-ident', key, int=str(get_ident()))
g = sys.modules['__main__'].__dict__
add('main-globals', g, exact=False, lookups={'Named': id(Named), 'KEEP': id(KEEP), 'nothere': 0})

with open(sys.argv[1] + '.tmp', 'w') as f:
    json.dump({'version': list(sys.version_info[:3]), 'records': RECORDS}, f)
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True:
    time.sleep(3600)
