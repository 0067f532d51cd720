# What `cmake --install` puts where (FHS paths under the prefix) and the Debian package `cpack`
# makes of it (scripts/package.sh builds it; tests/cli/test_package.sh installs and removes it).
include(GNUInstallDirs)

install(TARGETS nnlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nnlab/configs)
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nnlab/data)
install(DIRECTORY labs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nnlab/labs)
# The plot scripts and their modules, and the sweep runners users copy.
file(GLOB NNLAB_PLOT_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scripts/plot_grad_norms.*
     ${CMAKE_CURRENT_SOURCE_DIR}/scripts/nnlab_plot_*.py)
install(PROGRAMS ${NNLAB_PLOT_SCRIPTS} scripts/sweep_bash_loop.sh scripts/sweep_parallel.sh
        scripts/sweep_slurm.sbatch DESTINATION ${CMAKE_INSTALL_DATADIR}/nnlab/scripts)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Shell completions, generated from the command line's definition and the config key table.
add_custom_command(
  OUTPUT completions/nnlab completions/_nnlab
  COMMAND ${CMAKE_COMMAND} -E make_directory completions
  COMMAND sh -c "'$<TARGET_FILE:nnlab>' completion bash > completions/nnlab"
  COMMAND sh -c "'$<TARGET_FILE:nnlab>' completion zsh > completions/_nnlab"
  DEPENDS nnlab VERBATIM)
add_custom_target(nnlab_completions ALL DEPENDS completions/nnlab completions/_nnlab)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/completions/nnlab
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/completions/_nnlab
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/docs)
  install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
endif()

# The man page, written from the binary's own --help texts (scripts/make_manpage.sh, help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(NNLAB_MANPAGE ${CMAKE_CURRENT_BINARY_DIR}/nnlab.1.gz)
  add_custom_command(OUTPUT ${NNLAB_MANPAGE}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/make_manpage.sh $<TARGET_FILE:nnlab> ${NNLAB_MANPAGE}
    DEPENDS nnlab ${CMAKE_CURRENT_SOURCE_DIR}/scripts/make_manpage.sh
    COMMENT "Writing the man page nnlab.1.gz")
  add_custom_target(manpage ALL DEPENDS ${NNLAB_MANPAGE})
  install(FILES ${NNLAB_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (apt-get install help2man)")
endif()

# The Debian package. Dependencies on shared libraries (OpenBLAS, spdlog, fmt, libstdc++) are
# found by dpkg-shlibdeps; the plotting packages are recommended, the sweep runners suggested.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nnlab)
set(CPACK_PACKAGE_VENDOR "nnlab")
set(CPACK_PACKAGE_CONTACT "nnlab developers <nnlab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "train neural networks and log how gradients flow")
set(CPACK_PACKAGE_DESCRIPTION
    "nnlab trains MLPs and recurrent networks (RNN, LSTM, GRU) from a JSON config and writes CSV\nlogs of the loss and of every layer's gradient norms: vanishing and exploding gradients and\ntheir cures, as numbers.")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-matplotlib, python3-numpy")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gnuplot-nox, parallel, slurm-client")
include(CPack)
