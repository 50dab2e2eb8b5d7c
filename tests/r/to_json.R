# Shared by the scripts in tests/r: a small JSON writer (no jsonlite on the reference machine): numbers with 17 significant digits
to_json <- function(x, indent = "") {
  ind2 <- paste0(indent, "  ")
  if (is.list(x)) {
    nm <- names(x)
    if (is.null(nm)) return(paste0("[", paste(sapply(x, to_json, indent = ind2), collapse = ", "), "]"))
    items <- mapply(function(n, v) paste0(ind2, "\"", n, "\": ", to_json(v, ind2)), nm, x)
    return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
  }
  if (is.character(x)) { v <- paste0("\"", x, "\"") }
  else { v <- ifelse(is.na(x), "null", sprintf("%.17g", as.numeric(x))) }
  if (length(x) == 1) v else paste0("[", paste(v, collapse = ", "), "]")
}
