# SPDX-License-Identifier: MIT
# Finds every external dependency through pkg-config imported targets. A missing one stops
# configuration with the name of the Debian 12 package that provides it.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: install the Debian package 'pkg-config'")
endif()

function(sriovsim_require prefix module package)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR
      "Missing dependency '${module}' (pkg-config). On Debian 12 install it with:\n"
      "    sudo apt-get install ${package}\n"
      "or run ./setup.sh, which installs everything sriovsim needs.")
  endif()
  message(STATUS "Found ${module} ${${prefix}_VERSION}")
endfunction()

sriovsim_require(UV        "libuv>=1.44"     libuv1-dev)
sriovsim_require(PCAP      "libpcap>=1.10"   libpcap-dev)
sriovsim_require(GVC       "libgvc"          libgraphviz-dev)
sriovsim_require(CGRAPH    "libcgraph"       libgraphviz-dev)
sriovsim_require(JANSSON   "jansson>=2.13"   libjansson-dev)
if(BUILD_TESTING OR NOT DEFINED BUILD_TESTING)
  sriovsim_require(CRITERION "criterion>=2.4" libcriterion-dev)
endif()
find_package(Threads REQUIRED)
