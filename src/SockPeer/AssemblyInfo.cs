using System.Runtime.CompilerServices;

// Only blittable signatures compile: no hidden marshalling in the kernel-facing layer.
[assembly: DisableRuntimeMarshalling]
