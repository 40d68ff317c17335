# SPDX-License-Identifier: MIT
# One helper declares a module (a static library named after its folder), one declares a
# Criterion test binary. Warnings and sanitizers are target-scoped, never global flags.

set(SRIOVSIM_WARNINGS
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
  -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef -Wvla -Wnull-dereference
  -Wimplicit-fallthrough -Wno-unused-parameter)

if(SRIOVSIM_SANITIZE)
  set(SRIOVSIM_SAN_FLAGS -fsanitize=${SRIOVSIM_SANITIZE} -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
endif()
# The fuzzing configuration (SRIOVSIM_FUZZ, clang only): every module gets libFuzzer's coverage
# instrumentation on top of the sanitizers; the fuzz targets (tests/fuzz) link libFuzzer itself.
if(SRIOVSIM_FUZZ)
  list(APPEND SRIOVSIM_SAN_FLAGS -fsanitize=fuzzer-no-link)
endif()

# sriovsim_flags(target): the project's warnings, -Werror under SRIOVSIM_WERROR, sanitizers.
function(sriovsim_flags target)
  target_compile_options(${target} PRIVATE ${SRIOVSIM_WARNINGS})
  if(SRIOVSIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(SRIOVSIM_SAN_FLAGS)
    target_compile_options(${target} PRIVATE ${SRIOVSIM_SAN_FLAGS})
    target_link_options(${target} PRIVATE ${SRIOVSIM_SAN_FLAGS})
  endif()
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
endfunction()

# sriovsim_module(NAME SOURCES ... [DEPS ...]): static library sriovsim_<NAME>, alias
# sriovsim::<NAME>, public include dir = the source root (so "#include "sim/sim.h"").
function(sriovsim_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sriovsim_${name} STATIC ${M_SOURCES})
  add_library(sriovsim::${name} ALIAS sriovsim_${name})
  target_include_directories(sriovsim_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(sriovsim_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  if(SRIOVSIM_SAN_FLAGS)
    target_link_options(sriovsim_${name} INTERFACE ${SRIOVSIM_SAN_FLAGS})
  endif()
  sriovsim_flags(sriovsim_${name})
endfunction()

# sriovsim_test(NAME SOURCES ... DEPS ... [LABELS ...] [DEFINES ...] [TIMEOUT s]): a Criterion binary
# registered with ctest as NAME. Label tests that run real threads "threads" (CI runs those
# under ThreadSanitizer) and benchmarks-as-tests "bench".
#
# Under SRIOVSIM_SANITIZE=thread only the "threads" tests are built, and against the in-tree
# stand-in for Criterion (tests/support/tsan_shim): Criterion's forking runner cannot start
# under ThreadSanitizer. The test sources are the same.
function(sriovsim_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS;DEFINES" ${ARGN})
  if(SRIOVSIM_SANITIZE MATCHES "thread")
    if(NOT "threads" IN_LIST T_LABELS)
      return()
    endif()
    add_executable(${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/tsan_shim/shim_main.c)
    target_include_directories(${name} BEFORE PRIVATE ${PROJECT_SOURCE_DIR}/tests/support/tsan_shim)
    target_link_libraries(${name} PRIVATE ${T_DEPS} Threads::Threads)
  else()
    add_executable(${name} ${T_SOURCES})
    target_link_libraries(${name} PRIVATE ${T_DEPS} PkgConfig::CRITERION Threads::Threads)
  endif()
  sriovsim_flags(${name})
  if(SRIOVSIM_SANITIZE MATCHES "thread")
    # The stand-in's checks pass "" as the format when a check has no message.
    target_compile_options(${name} PRIVATE -Wno-format-zero-length)
  endif()
  if(T_DEFINES)
    target_compile_definitions(${name} PRIVATE ${T_DEFINES})
  endif()
  add_test(NAME ${name} COMMAND ${name} --verbose=0)
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
  if(T_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT})
  endif()
endfunction()
