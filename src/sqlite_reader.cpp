// A reader of SQLite query results straight into R vectors, for chunked
// sources on an RSQLite connection to a database file (R/data-source.R,
// sqlite_native_open()).
//
// RSQLite's dbFetch() spends about 100 ns on each value it returns (its
// per-value column code, then the data frame), about three times what SQLite
// takes to step through the rows and hand the values over: for a table of
// numbers read in chunks, the read is nearly all of a chunked fit's time.
// This reader opens the same file read-only with the system's SQLite library,
// prepares the same query, and fills each chunk's columns directly: numbers
// (SQLite's INTEGER and REAL values) as doubles, text as UTF-8 strings,
// NULL as NA. A column's kind is fixed by the query's first chunk, as
// RSQLite fixes it: the declared type's affinity (INT -> number; CHAR, CLOB,
// TEXT -> text; REAL, FLOA, DOUB and the other declared types -> number),
// else the first value that is not NULL; a column of only NULLs so far is
// returned as logical NA until a value decides it. A value of the other kind
// is converted as RSQLite converts it (sqlite3_column_double() of text, the
// text of a number); the R side warns once. Binary objects (BLOBs) come as a
// list of raw vectors of class "blob", as DBI gives them (no model uses
// them); a BLOB among numbers or text is an error.
//
// Compiled only where configure found SQLite's header and library
// (GRADGLM_HAVE_SQLITE); elsewhere sqlite_reader_available() is FALSE and
// the chunks come from DBI.

#ifdef GRADGLM_HAVE_SQLITE
#include <sqlite3.h>
#endif

#include <algorithm>
#include <string>
#include <vector>

#include "interrupts.h"

namespace {

#ifdef GRADGLM_HAVE_SQLITE
enum ColumnKind { KIND_UNDECIDED = 0, KIND_NUMBER = 1, KIND_TEXT = 2, KIND_BLOB = 3 };

struct SqliteReader {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  bool done = false;
  std::vector<int> kinds;
  void close() {
    if (stmt) sqlite3_finalize(stmt);
    stmt = nullptr;
    if (db) sqlite3_close(db);
    db = nullptr;
    done = true;
  }
  ~SqliteReader() { close(); }
};

void finalize_reader(SEXP xp) {
  SqliteReader* r = static_cast<SqliteReader*>(R_ExternalPtrAddr(xp));
  if (r) {
    delete r;
    R_ClearExternalPtr(xp);
  }
}

SqliteReader* reader_of(SEXP xp) {
  if (TYPEOF(xp) != EXTPTRSXP) Rcpp::stop("not a reader");
  SqliteReader* r = static_cast<SqliteReader*>(R_ExternalPtrAddr(xp));
  if (!r) Rcpp::stop("the reader is closed");
  return r;
}

// the kind a declared type gives (SQLite's affinity rules), or undecided
int declared_kind(const char* decl) {
  if (!decl || !*decl) return KIND_UNDECIDED;
  std::string d(decl);
  for (char& c : d) c = (char)toupper((unsigned char)c);
  if (d.find("INT") != std::string::npos) return KIND_NUMBER;
  if (d.find("CHAR") != std::string::npos || d.find("CLOB") != std::string::npos ||
      d.find("TEXT") != std::string::npos) {
    return KIND_TEXT;
  }
  if (d.find("BLOB") != std::string::npos) return KIND_BLOB;
  return KIND_NUMBER;  // REAL, FLOA, DOUB and NUMERIC affinity
}

// R's interrupt, looked at from SQLite's progress handler (C code, which a
// C++ exception must not cross).
int progress_handler(void*) { return gradglm::interrupt_pending() ? 1 : 0; }

void fail(SqliteReader* r, const char* what) {
  const std::string msg = std::string(what) + ": " + (r->db ? sqlite3_errmsg(r->db) : "out of memory");
  r->close();
  Rcpp::stop(msg);
}
#endif

}  // namespace

// whether the package was built with SQLite's library
// [[Rcpp::export]]
bool sqlite_reader_available() {
#ifdef GRADGLM_HAVE_SQLITE
  return true;
#else
  return false;
#endif
}

// Opens `path` read-only and prepares `sql`; returns the reader (an external
// pointer) with attribute "columns", the result's column names. An error
// (the file, the query) is an R error with SQLite's message.
// [[Rcpp::export]]
SEXP sqlite_reader_open(std::string path, std::string sql) {
#ifdef GRADGLM_HAVE_SQLITE
  SqliteReader* r = new SqliteReader();
  SEXP xp = PROTECT(R_MakeExternalPtr(r, R_NilValue, R_NilValue));
  R_RegisterCFinalizerEx(xp, finalize_reader, TRUE);
  if (sqlite3_open_v2(path.c_str(), &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    UNPROTECT(1);
    fail(r, "opening the database");
  }
  sqlite3_progress_handler(r->db, 200000, progress_handler, nullptr);
  if (sqlite3_prepare_v2(r->db, sql.c_str(), -1, &r->stmt, nullptr) != SQLITE_OK || !r->stmt) {
    UNPROTECT(1);
    fail(r, "preparing the query");
  }
  // (a statement that writes, or returns no columns, is no query of rows: DBI runs it)
  const int nc = sqlite3_column_count(r->stmt);
  if (!sqlite3_stmt_readonly(r->stmt) || nc == 0) {
    UNPROTECT(1);
    r->close();
    Rcpp::stop("not a query of rows");
  }
  Rcpp::CharacterVector names(nc);
  r->kinds.assign(nc, KIND_UNDECIDED);
  for (int j = 0; j < nc; ++j) {
    const char* nm = sqlite3_column_name(r->stmt, j);
    names[j] = Rcpp::String(nm ? nm : "", CE_UTF8);
    r->kinds[j] = declared_kind(sqlite3_column_decltype(r->stmt, j));
  }
  Rf_setAttrib(xp, Rf_install("columns"), names);
  UNPROTECT(1);
  return xp;
#else
  Rcpp::stop("gradglm was built without SQLite's library");
#endif
}

// The next (at most) n rows as a list of columns (doubles, strings, or
// logical NA for a column still undecided), with attribute "converted": the
// columns (1-based) where a value of the other kind was converted in this
// chunk. A list of zero-length columns after the last row; the reader closes
// itself there.
// [[Rcpp::export]]
SEXP sqlite_reader_fetch(SEXP xp, int n) {
#ifdef GRADGLM_HAVE_SQLITE
  SqliteReader* r = reader_of(xp);
  const int nc = (int)r->kinds.size();
  if (n < 1) Rcpp::stop("'n' must be at least 1");
  // the chunk's columns, written in place: numbers (and the NULLs of a
  // column not yet decided, as NA) in doubles, text in strings
  Rcpp::List out(nc);
  std::vector<double*> num(nc, nullptr);
  std::vector<int> conv(nc, 0);
  auto number_column = [&](int j) {
    Rcpp::NumericVector v(Rcpp::no_init(n));
    out[j] = v;
    num[j] = REAL(out[j]);
  };
  auto blob_column = [&](int j) {
    Rcpp::List v(n);  // (NULL for NULL)
    v.attr("class") = "blob";
    out[j] = v;
    num[j] = nullptr;
  };
  auto text_column = [&](int j, int rows_before) {
    Rcpp::CharacterVector v(n);
    for (int i = 0; i < rows_before; ++i) SET_STRING_ELT(v, i, NA_STRING);
    out[j] = v;
    num[j] = nullptr;
  };
  for (int j = 0; j < nc; ++j) {
    if (r->kinds[j] == KIND_TEXT) {
      text_column(j, 0);
    } else if (r->kinds[j] == KIND_BLOB) {
      blob_column(j);
    } else {
      number_column(j);
    }
  }
  int rows = 0;
  while (rows < n && !r->done) {
    const int rc = sqlite3_step(r->stmt);
    if (rc == SQLITE_DONE) {
      r->close();
      break;
    }
    if (rc == SQLITE_INTERRUPT) {
      r->close();
      throw Rcpp::internal::InterruptedException();
    }
    if (rc != SQLITE_ROW) fail(r, "reading a row");
    for (int j = 0; j < nc; ++j) {
      const int t = sqlite3_column_type(r->stmt, j);
      int kind = r->kinds[j];
      if (t == SQLITE_NULL) {
        if (kind == KIND_TEXT) {
          SET_STRING_ELT(out[j], rows, NA_STRING);
        } else if (kind != KIND_BLOB) {
          num[j][rows] = NA_REAL;
        }
        continue;
      }
      if (kind == KIND_UNDECIDED) {
        // (decided by its first value; the rows before were NULL)
        kind = r->kinds[j] = t == SQLITE_TEXT ? KIND_TEXT : t == SQLITE_BLOB ? KIND_BLOB : KIND_NUMBER;
        if (kind == KIND_TEXT) text_column(j, rows);
        if (kind == KIND_BLOB) blob_column(j);
      }
      if (kind == KIND_BLOB || t == SQLITE_BLOB) {
        // binary objects: kept as raw vectors (a data frame's "blob" column,
        // as DBI gives it, which no model can use); in a column of numbers
        // or text, an error
        if (kind != KIND_BLOB) {
          const char* nm = sqlite3_column_name(r->stmt, j);
          const std::string msg = std::string("column '") + (nm ? nm : "?") +
                                  "' mixes binary objects (BLOBs) with numbers or text";
          r->close();
          Rcpp::stop(msg);
        }
        const int len = sqlite3_column_bytes(r->stmt, j);
        Rcpp::RawVector b(len);
        const void* bytes = sqlite3_column_blob(r->stmt, j);
        if (len > 0 && bytes) std::copy_n(static_cast<const unsigned char*>(bytes), len, b.begin());
        SET_VECTOR_ELT(out[j], rows, b);
        continue;
      }
      if (kind == KIND_NUMBER) {
        if (t == SQLITE_TEXT) conv[j] = 1;
        num[j][rows] = t == SQLITE_INTEGER ? (double)sqlite3_column_int64(r->stmt, j) : sqlite3_column_double(r->stmt, j);
      } else {
        if (t != SQLITE_TEXT) conv[j] = 1;
        const unsigned char* s = sqlite3_column_text(r->stmt, j);
        const int len = sqlite3_column_bytes(r->stmt, j);
        SET_STRING_ELT(out[j], rows, s ? Rf_mkCharLenCE(reinterpret_cast<const char*>(s), len, CE_UTF8) : NA_STRING);
      }
    }
    ++rows;
    if ((rows & 8191) == 0) Rcpp::checkUserInterrupt();
  }
  std::vector<int> converted;
  for (int j = 0; j < nc; ++j) {
    if (conv[j]) converted.push_back(j + 1);
    if (r->kinds[j] == KIND_UNDECIDED) {
      out[j] = Rcpp::LogicalVector(rows, NA_LOGICAL);  // (only NULLs so far)
    } else if (rows < n) {
      SEXP shorter = PROTECT(Rf_xlengthgets(out[j], rows));  // (which keeps no attributes)
      if (r->kinds[j] == KIND_BLOB) Rf_setAttrib(shorter, R_ClassSymbol, Rf_mkString("blob"));
      out[j] = shorter;
      UNPROTECT(1);
    }
  }
  out.attr("converted") = Rcpp::wrap(converted);
  return out;
#else
  Rcpp::stop("gradglm was built without SQLite's library");
#endif
}

// Finalises the query and closes the database (again: nothing).
// [[Rcpp::export]]
void sqlite_reader_close(SEXP xp) {
#ifdef GRADGLM_HAVE_SQLITE
  if (TYPEOF(xp) != EXTPTRSXP) return;
  SqliteReader* r = static_cast<SqliteReader*>(R_ExternalPtrAddr(xp));
  if (r) r->close();
#endif
}
