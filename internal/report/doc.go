// Package report writes and reads the result files of a run: omega.csv
// (one row of layer weights per class, full float64 precision) and
// report.json (configuration, kernel scales, per-class objective and
// certificate, accuracies, sparsity, timings and provenance).
package report
