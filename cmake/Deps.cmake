# Every dependency is an imported target, found through pkg-config.
# Debian package names are in tools/setup.sh.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(HS REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
pkg_check_modules(URCU_QSBR REQUIRED IMPORTED_TARGET liburcu-qsbr)
pkg_check_modules(URCU_CDS REQUIRED IMPORTED_TARGET liburcu-cds)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(MSGPACK REQUIRED IMPORTED_TARGET msgpack)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(FYAML REQUIRED IMPORTED_TARGET libfyaml)
pkg_check_modules(OPENCC REQUIRED IMPORTED_TARGET opencc)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
if(SLUICE_TESTS)
  pkg_check_modules(CRITERION REQUIRED IMPORTED_TARGET criterion)
endif()
if(SLUICE_DPDK)
  # DPDK's cflags carry -march=corei7 and -include rte_config.h; they reach
  # only targets that link PkgConfig::DPDK (engine/dpdk, tools/pcap).
  pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET libdpdk)
endif()

# libcsv (RFC 4180) ships no pkg-config file on Debian 12; wrap it in an
# imported target of the same shape so that it is used like the others.
find_path(LIBCSV_INCLUDE_DIR csv.h REQUIRED)
find_library(LIBCSV_LIBRARY NAMES csv REQUIRED)
add_library(sluice_dep_csv INTERFACE IMPORTED)
target_include_directories(sluice_dep_csv INTERFACE ${LIBCSV_INCLUDE_DIR})
target_link_libraries(sluice_dep_csv INTERFACE ${LIBCSV_LIBRARY})
add_library(Sluice::csv ALIAS sluice_dep_csv)

# Debian's iso-codes data: the country and currency tables are generated
# from it at build time (engine/core/CMakeLists.txt).
set(SLUICE_ISO_CODES_DIR "/usr/share/iso-codes/json" CACHE PATH
    "Directory of iso-codes JSON files")
if(NOT EXISTS "${SLUICE_ISO_CODES_DIR}/iso_3166-1.json")
  message(FATAL_ERROR "iso-codes not found in ${SLUICE_ISO_CODES_DIR}; apt-get install iso-codes")
endif()
