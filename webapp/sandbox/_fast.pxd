# Cython declarations for _fast.py (read only when compiling; the .py stays plain Python):
# module constants as C-level references instead of dictionary lookups.
cdef object _LazyRange, _BUILTIN_WRITABLE
cdef object _slow_mul, _slow_mod, _slow_write, _builtin_iter
cdef object _enumerate, _slow_enumerate, _stepwise, _LONG
