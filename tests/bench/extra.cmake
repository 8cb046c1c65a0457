# rte_lpm comparison column of bench_lpm: needs DPDK (pkg-config libdpdk, Debian libdpdk-dev).
# DPDK's headers go in as SYSTEM includes so our -Werror warning set does not apply to them.
if(TARGET bench_lpm)
  pkg_check_modules(DPDK IMPORTED_TARGET libdpdk)
  if(DPDK_FOUND)
    target_compile_definitions(bench_lpm PRIVATE SHOAL_HAVE_DPDK)
    target_include_directories(bench_lpm SYSTEM PRIVATE ${DPDK_INCLUDE_DIRS})
    # DPDK's cflags also carry -include rte_config.h and -march; keep them (minus -I).
    foreach(flag ${DPDK_CFLAGS_OTHER})
      target_compile_options(bench_lpm PRIVATE ${flag})
    endforeach()
    target_link_libraries(bench_lpm PRIVATE ${DPDK_LINK_LIBRARIES})
  else()
    message(STATUS "bench_lpm: libdpdk not found, rte_lpm column skipped")
  endif()
endif()
