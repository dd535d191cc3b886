# `cmake --install` (and `./kit install`): an engine, labs and app that only root can change.
#   PREFIX/bin/boxlab, PREFIX/bin/boxlab-gui
#   PREFIX/share/boxlab/{labs,slides}          the course, read by the installed engine only
#   PREFIX/share/polkit-1/actions/org.boxlab.engine.policy
#                                              pkexec's action, exec.path = PREFIX/bin/boxlab
#   PREFIX/share/boxlab/apparmor/boxlab        the AppArmor profile that lets the engine make
#                                              user namespaces where Ubuntu restricts them
#   SYSCONFDIR/boxlab/labs                     an instructor's own labs (empty, root's, 0755)
# The policy is written at install time, so `cmake --install --prefix P` names P's engine.
# polkitd reads only /usr/share/polkit-1/actions and AppArmor only /etc/apparmor.d: `./kit
# install` copies the policy and the profile there.
include(GNUInstallDirs)

install(TARGETS boxlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(BOXLAB_GUI)
  install(TARGETS boxlab-gui RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# Modes fixed here, not taken from the clone (a umask of 002 would make them group-writable);
# the labs' own programs (scripts, wrappers) stay executable.
set(boxlab_exec_modes OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                      WORLD_EXECUTE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/labs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/boxlab/labs
        DIRECTORY_PERMISSIONS ${boxlab_exec_modes}
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        PATTERN "*.sh" PERMISSIONS ${boxlab_exec_modes}
        PATTERN "crun-v1" PERMISSIONS ${boxlab_exec_modes})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/slides/ DESTINATION ${CMAKE_INSTALL_DATADIR}/boxlab/slides
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/boxlab/labs
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                              WORLD_READ WORLD_EXECUTE)
install(CODE "
  set(policy_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/polkit-1/actions\")
  set(BOXLAB_ENGINE_PATH \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/boxlab\")
  file(MAKE_DIRECTORY \"\${policy_dir}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/org.boxlab.engine.policy.in\"
                 \"\${policy_dir}/org.boxlab.engine.policy\" @ONLY)
  message(STATUS \"Installing: \${policy_dir}/org.boxlab.engine.policy (exec.path \${BOXLAB_ENGINE_PATH})\")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${policy_dir}/org.boxlab.engine.policy\")
  set(apparmor_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/boxlab/apparmor\")
  file(MAKE_DIRECTORY \"\${apparmor_dir}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/boxlab.apparmor.in\"
                 \"\${apparmor_dir}/boxlab\" @ONLY)
  message(STATUS \"Installing: \${apparmor_dir}/boxlab\")
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${apparmor_dir}/boxlab\")
")
