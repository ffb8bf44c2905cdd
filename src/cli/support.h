// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QStringList>
#include <QTextStream>

/// What every voxtrack-cli command shares: its streams, its one way of reporting an error,
/// the common options and the parsing of a command line.
namespace voxtrack::cli {

QString tr(const char* text);
QTextStream& out();
QTextStream& err();

/// Prints an error the one way every command does: a sentence on stderr, and with --json the
/// same as {"error": {code, message}} on stdout for programs. Returns ExitCannotRun.
int fail(const Error& error, bool json);

QCommandLineOption databaseOption();
QCommandLineOption jsonOption();

/// Parses a command's options; on a usage error prints it and returns false. Up to
/// maxPositional positional arguments are accepted; the command checks the ones it needs.
bool parse(
    QCommandLineParser& parser, const QStringList& arguments, bool json, int& exitCode, qsizetype maxPositional = 0);

/// The --db URL (or its default); with createDefaultDirectory the default SQLite file's
/// directory is created.
Expected<DatabaseUrl> databaseUrl(const QCommandLineParser& parser, bool createDefaultDirectory);

/// voxtrack-cli drive (drive.cpp).
int drive(const QStringList& arguments);

/// voxtrack-cli seed (seed.cpp).
int seed(const QStringList& arguments);

} // namespace voxtrack::cli
