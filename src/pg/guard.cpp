#include "guard.hpp"

#include "error.hpp"
#include "validate.hpp"

#include <cstring>
#include <new>

namespace credit_ledger::pg {
namespace {

// The error caught by RunImpl, held in static storage so that raising it
// needs no C++ object: either a PostgreSQL ErrorData or the ledger's own
// code and texts (copied into fixed buffers, as allocating inside a catch
// block could itself fail).
struct PendingError {
  ErrorData* pg_error = nullptr;
  char sqlstate[6] = {0};
  char message[1024] = {0};
  char detail[2048] = {0};
  char hint[1024] = {0};
};

PendingError pending;

// Cut at a character boundary: a message cut inside a UTF-8 character is
// invalid text that the client (or whoever stores SQLERRM) then rejects.
void CopyText(char* out, std::size_t size, const char* text) noexcept {
  const std::string_view view(text ? text : "");
  const std::size_t n = Utf8PrefixBytes(view, size - 1);
  std::memcpy(out, view.data(), n);
  out[n] = '\0';
}

void SetPending(const char* sqlstate, const char* message, const char* detail,
                const char* hint) noexcept {
  pending.pg_error = nullptr;
  CopyText(pending.sqlstate, sizeof(pending.sqlstate), sqlstate);
  CopyText(pending.message, sizeof(pending.message), message);
  CopyText(pending.detail, sizeof(pending.detail), detail);
  CopyText(pending.hint, sizeof(pending.hint), hint);
}

}  // namespace

void ThrowCaughtError(sigjmp_buf* saved_stack,
                      ErrorContextCallback* saved_context,
                      MemoryContext context) {
  error_context_stack = saved_context;
  MemoryContextSwitchTo(context);
  // CopyErrorData allocates and can itself ereport (out of memory): that
  // longjmp must land here, not in a frame further up past C++ ones.
  ErrorData* volatile data = nullptr;
  sigjmp_buf local;
  if (sigsetjmp(local, 0) == 0) {
    PG_exception_stack = &local;
    data = CopyErrorData();
  }
  PG_exception_stack = saved_stack;
  error_context_stack = saved_context;
  MemoryContextSwitchTo(context);
  FlushErrorState();  // the original error and any raised while copying it
  if (data == nullptr) throw std::bad_alloc();  // RunImpl: 53200
  throw PgError(data);
}

void CheckForInterrupts() {
  Guard([] { CHECK_FOR_INTERRUPTS(); });
}

bool RunImpl(ImplFn impl, FunctionCallInfo fcinfo, Datum* result) noexcept {
  try {
    *result = impl(fcinfo);
    return true;
  } catch (const PgError& e) {
    pending.pg_error = e.data();
  } catch (const LedgerError& e) {
    SetPending(SqlStateOf(e.code()), e.message().c_str(), e.detail().c_str(),
               e.hint().c_str());
  } catch (const std::bad_alloc&) {
    SetPending("53200", "out of memory", "", "");
  } catch (const std::exception& e) {
    SetPending("XX000", "internal error in credit_ledger", e.what(), "");
  } catch (...) {
    SetPending("XX000", "internal error in credit_ledger",
               "An unknown C++ exception was thrown.", "");
  }
  return false;
}

void RaisePendingError() {
  if (pending.pg_error != nullptr) {
    ErrorData* data = pending.pg_error;
    pending.pg_error = nullptr;
    ReThrowError(data);
  }
  const char* s = pending.sqlstate;
  ereport(ERROR,
          (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])),
           errmsg_internal("%s", pending.message),
           pending.detail[0] ? errdetail_internal("%s", pending.detail) : 0,
           pending.hint[0] ? errhint("%s", pending.hint) : 0));
  pg_unreachable();
}

}  // namespace credit_ledger::pg
