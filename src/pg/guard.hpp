// The C++/PostgreSQL error boundary.
//
// PostgreSQL reports errors by longjmp, C++ by exceptions; neither may cross
// the other's frames. Two mechanisms keep them apart:
//  - Guard(fn) runs PostgreSQL calls (fn holds no C++ object with a
//    destructor) and turns an ereport into a PgError exception that keeps the
//    full ErrorData (SQLSTATE, detail, context);
//  - CL_FUNCTION(name) defines every SQL-callable entry point: its extern "C"
//    body only calls RunImpl, which catches every C++ exception into static
//    storage, and then raises the error once no C++ frame is left.
#pragma once

#include "postgres.hpp"

#include <exception>
#include <type_traits>

namespace credit_ledger::pg {

// A PostgreSQL error caught by Guard, carried as a C++ exception.
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData* data) : data_(data) {}
  ErrorData* data() const noexcept { return data_; }
  const char* what() const noexcept override {
    return data_ && data_->message ? data_->message : "postgres error";
  }

 private:
  ErrorData* data_;
};

// Restores PostgreSQL's error state after a longjmp and throws PgError.
[[noreturn]] void ThrowCaughtError(sigjmp_buf* saved_stack,
                                   ErrorContextCallback* saved_context,
                                   MemoryContext context);

// Runs fn, which calls PostgreSQL and owns no C++ object with a destructor:
// an ereport inside fn longjmps out of it, and no destructor of fn's would
// run. The compiler checks what it can: fn's closure (its captures) and its
// result are trivially destructible, so neither a captured copy nor the
// value fn builds can be skipped. That fn's body declares no local with a
// destructor remains a rule for the reader.
template <typename Fn>
auto Guard(Fn&& fn) -> decltype(fn()) {
  using Result = decltype(fn());
  static_assert(std::is_trivially_destructible_v<std::remove_reference_t<Fn>>,
                "Guard: capture by reference; a captured object with a "
                "destructor would be skipped by a longjmp");
  static_assert(std::is_void_v<Result> ||
                    std::is_trivially_destructible_v<Result>,
                "Guard: fn must return a trivially destructible value; build "
                "C++ objects outside the guard");
  sigjmp_buf* volatile saved_stack = PG_exception_stack;
  ErrorContextCallback* volatile saved_context = error_context_stack;
  volatile MemoryContext context = CurrentMemoryContext;
  sigjmp_buf local;
  if (sigsetjmp(local, 0) == 0) {
    PG_exception_stack = &local;
    try {
      if constexpr (std::is_void_v<Result>) {
        fn();
        PG_exception_stack = saved_stack;
        return;
      } else {
        Result result = fn();
        PG_exception_stack = saved_stack;
        return result;
      }
    } catch (...) {
      PG_exception_stack = saved_stack;
      throw;
    }
  }
  ThrowCaughtError(saved_stack, saved_context, context);
}

// Calls CHECK_FOR_INTERRUPTS through the guard (cancel, statement_timeout).
void CheckForInterrupts();

using ImplFn = Datum (*)(FunctionCallInfo);

// Runs an entry point's C++ body. Returns false after catching any exception
// into the pending-error slot; never throws.
bool RunImpl(ImplFn impl, FunctionCallInfo fcinfo, Datum* result) noexcept;

// Raises the error RunImpl caught. Called with no C++ frame on the stack.
[[noreturn]] void RaisePendingError();

}  // namespace credit_ledger::pg

// Defines the SQL-callable function `name`; the braces that follow are its
// C++ body, a function of `fcinfo` returning Datum.
#define CL_FUNCTION(name)                                                      \
  static Datum name##_impl(FunctionCallInfo fcinfo);                           \
  extern "C" {                                                                 \
  PG_FUNCTION_INFO_V1(name);                                                   \
  Datum name(PG_FUNCTION_ARGS) {                                               \
    Datum result = 0;                                                          \
    if (!::credit_ledger::pg::RunImpl(name##_impl, fcinfo, &result)) {         \
      ::credit_ledger::pg::RaisePendingError();                                \
    }                                                                          \
    return result;                                                             \
  }                                                                            \
  }                                                                            \
  static Datum name##_impl([[maybe_unused]] FunctionCallInfo fcinfo)
