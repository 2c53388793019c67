// Package prep turns loaded data into what the solver sees: input
// normalization fitted on the training set and applied to every other set,
// seeded subsets, and the target matrix of the class labels (one-hot or
// centred, DESIGN.md §3).
package prep
