package main

// backendName names the BLAS and LAPACK implementation in this build.
const backendName = "gonum (pure Go)"
