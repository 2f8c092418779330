// Interpreter stage: the Scalar protocol is part of the interpreter's interface (Interpreter<S: Scalar>),
// so importing the interpreter brings it.
@_exported import AdjointScalar
