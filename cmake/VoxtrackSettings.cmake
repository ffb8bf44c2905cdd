# SPDX-License-Identifier: MIT
# Compile settings shared by every Voxtrack target, carried by one INTERFACE target.
add_library(voxtrack_settings INTERFACE)
add_library(Voxtrack::Settings ALIAS voxtrack_settings)

target_compile_definitions(voxtrack_settings INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_URL_CAST_FROM_STRING
    QT_USE_QSTRINGBUILDER
    QT_NO_FOREACH
    QT_NO_KEYWORDS
    VOXTRACK_VERSION="${PROJECT_VERSION}")

target_compile_options(voxtrack_settings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wold-style-cast)
if(VOXTRACK_WERROR)
    target_compile_options(voxtrack_settings INTERFACE -Werror)
endif()
target_compile_features(voxtrack_settings INTERFACE cxx_std_20)
