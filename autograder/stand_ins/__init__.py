"""Stand-ins for hidden tests: small objects whose behaviour is known exactly.

An exercise that builds on others (a layer made of operations, a trainer
driving a network and an optimiser) is judged on its own class by giving it
stand-ins for everything else. Each module here is installed twice: in the
student's kernel with `autograder.judge.install(module)`, where the student's
class runs with it, and imported here, where the reference runs with the same
stand-ins. The judge compares the two runs.

Rules every module keeps, because student code can reach and change whatever
sits in its kernel:

- it does no exercise's job (no stand-in is a correct answer to any exercise);
- it decides nothing: it computes fixed formulas and records what it was
  given, and only the judge compares;
- it imports nothing but numpy and the standard library, so that its source
  alone can be installed in the kernel.
"""
