// Package model saves, loads and applies a fitted infinite-width NFT-K
// model: everything Eq. 14 needs to score new inputs, namely the kernel
// configuration, the kernel scales sℓ (DESIGN.md §3), the input
// normalization, the class labels, Ω and the dual coefficients α of every
// class, and the normalized training inputs.
//
// A model is a folder: model.json (all but the two arrays), train_x.npy
// (n×m float64) and alpha.npy (n×d float64). Save writes it whole or not
// at all; Load checks every shape against model.json. Predict streams the
// test cross-kernels in row blocks and combines them per class on the fly,
// so it never holds L × n_test × n.
package model
