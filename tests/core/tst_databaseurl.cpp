// SPDX-License-Identifier: MIT
#include "core/databaseurl.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <iterator>
#include <pwd.h>
#include <unistd.h>

using namespace voxtrack;

namespace {

using Source = DatabaseUrl::PasswordSource;

constexpr const char* environmentNames[] = {"PGUSER", "PGPASSWORD", "PGPASSFILE", "USER", "HOME"};

/// "key=value" per option, for compact comparisons.
QStringList optionList(const DatabaseUrl& url)
{
    QStringList list;
    for (const auto& [key, value] : url.options())
        list << key + u'=' + value;
    return list;
}

QString inWorkingDirectory(const QString& relative)
{
    return QDir::cleanPath(QDir::currentPath() + u'/' + relative);
}

DatabaseUrl parsed(const QString& text)
{
    auto url = DatabaseUrl::parse(text);
    if (!url.hasValue())
        qWarning("%s", qPrintable(url.error().toString()));
    return url.hasValue() ? *url : DatabaseUrl();
}

} // namespace

class TestDatabaseUrl : public QObject {
    Q_OBJECT

private:
    struct SavedVariable {
        bool set = false;
        QByteArray value;
    };
    SavedVariable m_saved[std::size(environmentNames)];
    QTemporaryDir m_dir;

    /// Writes a password file in the temporary directory with the given permissions.
    QString writePassFile(const QString& name, const QByteArray& content,
        QFileDevice::Permissions permissions = QFileDevice::ReadOwner | QFileDevice::WriteOwner)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return {};
        file.write(content);
        file.close();
        if (!file.setPermissions(permissions))
            return {};
        return path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void init()
    {
        // Every test starts without the libpq variables and restores them afterwards.
        for (std::size_t i = 0; i < std::size(environmentNames); ++i) {
            m_saved[i] = {qEnvironmentVariableIsSet(environmentNames[i]), qgetenv(environmentNames[i])};
            if (i < 3)
                qunsetenv(environmentNames[i]);
        }
    }

    void cleanup()
    {
        for (std::size_t i = 0; i < std::size(environmentNames); ++i) {
            if (m_saved[i].set)
                qputenv(environmentNames[i], m_saved[i].value);
            else
                qunsetenv(environmentNames[i]);
        }
    }

    void parsesPostgreSql_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QStringList>("options");

        const QStringList none;
        QTest::addRow("everything") << QStringLiteral(
            "postgresql://alice:s3cret@db.example.com:6543/voxtrack?sslmode=require&connect_timeout=5")
                                    << QStringLiteral("db.example.com") << 6543 << QStringLiteral("alice")
                                    << QStringLiteral("s3cret") << QStringLiteral("voxtrack")
                                    << QStringList {
                                           QStringLiteral("sslmode=require"), QStringLiteral("connect_timeout=5")};
        QTest::addRow("postgres scheme") << QStringLiteral("postgres://bob@localhost/app")
                                         << QStringLiteral("localhost") << 0 << QStringLiteral("bob") << QString()
                                         << QStringLiteral("app") << none;
        QTest::addRow("scheme in capitals") << QStringLiteral("PostgreSQL://h/db") << QStringLiteral("h") << 0
                                            << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("local socket") << QStringLiteral("postgresql:///voxtrack") << QString() << 0 << QString()
                                      << QString() << QStringLiteral("voxtrack") << none;
        QTest::addRow("nothing but the scheme")
            << QStringLiteral("postgresql://") << QString() << 0 << QString() << QString() << QString() << none;
        QTest::addRow("only a slash") << QStringLiteral("postgresql:///") << QString() << 0 << QString() << QString()
                                      << QString() << none;
        QTest::addRow("host only") << QStringLiteral("postgresql://db.internal") << QStringLiteral("db.internal") << 0
                                   << QString() << QString() << QString() << none;
        QTest::addRow("ipv4 and port") << QStringLiteral("postgresql://127.0.0.1:5433/db")
                                       << QStringLiteral("127.0.0.1") << 5433 << QString() << QString()
                                       << QStringLiteral("db") << none;
        QTest::addRow("ipv6 loopback") << QStringLiteral("postgresql://[::1]:5432/db") << QStringLiteral("::1") << 5432
                                       << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("ipv6 without port")
            << QStringLiteral("postgresql://u@[2001:db8::ff00:42:8329]/db") << QStringLiteral("2001:db8::ff00:42:8329")
            << 0 << QStringLiteral("u") << QString() << QStringLiteral("db") << none;
        QTest::addRow("ipv6 full form") << QStringLiteral("postgresql://[2001:db8:0:0:0:0:0:1]")
                                        << QStringLiteral("2001:db8:0:0:0:0:0:1") << 0 << QString() << QString()
                                        << QString() << none;
        QTest::addRow("ipv6 with ipv4 tail")
            << QStringLiteral("postgresql://[::ffff:192.0.2.1]/db") << QStringLiteral("::ffff:192.0.2.1") << 0
            << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("empty port") << QStringLiteral("postgresql://h:/db") << QStringLiteral("h") << 0 << QString()
                                    << QString() << QStringLiteral("db") << none;
        QTest::addRow("port 1") << QStringLiteral("postgresql://h:1/db") << QStringLiteral("h") << 1 << QString()
                                << QString() << QStringLiteral("db") << none;
        QTest::addRow("port 65535") << QStringLiteral("postgresql://h:65535/db") << QStringLiteral("h") << 65535
                                    << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("port with leading zero") << QStringLiteral("postgresql://h:05432") << QStringLiteral("h") << 5432
                                                << QString() << QString() << QString() << none;
        QTest::addRow("percent-encoded user and password")
            << QStringLiteral("postgresql://us%40er:p%40ss%3Aw%2Fo%20rd%25@h/db") << QStringLiteral("h") << 0
            << QStringLiteral("us@er") << QStringLiteral("p@ss:w/o rd%") << QStringLiteral("db") << none;
        QTest::addRow("raw colon in password")
            << QStringLiteral("postgresql://u:a:b@h/db") << QStringLiteral("h") << 0 << QStringLiteral("u")
            << QStringLiteral("a:b") << QStringLiteral("db") << none;
        QTest::addRow("utf-8 escapes") << QStringLiteral("postgresql://j%C3%BCrgen@h/d%C3%A9j%C3%A0")
                                       << QStringLiteral("h") << 0 << QStringLiteral("jürgen") << QString()
                                       << QStringLiteral("déjà") << none;
        QTest::addRow("raw non-ascii") << QStringLiteral("postgresql://jürgen@h/déjà") << QStringLiteral("h") << 0
                                       << QStringLiteral("jürgen") << QString() << QStringLiteral("déjà") << none;
        QTest::addRow("empty password is no password")
            << QStringLiteral("postgresql://u:@h/db") << QStringLiteral("h") << 0 << QStringLiteral("u") << QString()
            << QStringLiteral("db") << none;
        QTest::addRow("password without user") << QStringLiteral("postgresql://:pw@h/db") << QStringLiteral("h") << 0
                                               << QString() << QStringLiteral("pw") << QStringLiteral("db") << none;
        QTest::addRow("user without host") << QStringLiteral("postgresql://u@/db") << QString() << 0
                                           << QStringLiteral("u") << QString() << QStringLiteral("db") << none;
        QTest::addRow("port without host") << QStringLiteral("postgresql://:5433/db") << QString() << 5433 << QString()
                                           << QString() << QStringLiteral("db") << none;
        QTest::addRow("encoded slash in database name") << QStringLiteral("postgresql://h/a%2Fb") << QStringLiteral("h")
                                                        << 0 << QString() << QString() << QStringLiteral("a/b") << none;
        QTest::addRow("socket directory in the query")
            << QStringLiteral("postgresql:///db?host=/var/run/postgresql") << QStringLiteral("/var/run/postgresql") << 0
            << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("socket directory percent-encoded")
            << QStringLiteral("postgresql://%2Fvar%2Frun%2Fpostgresql/db") << QStringLiteral("/var/run/postgresql") << 0
            << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("query overrides the url")
            << QStringLiteral("postgresql://a:b@h:1/x?host=other&port=2&user=c&password=d&dbname=y")
            << QStringLiteral("other") << 2 << QStringLiteral("c") << QStringLiteral("d") << QStringLiteral("y")
            << none;
        QTest::addRow("query overrides before the options")
            << QStringLiteral("postgresql://h/x?sslmode=disable&dbname=y&port=") << QStringLiteral("h") << 0
            << QString() << QString() << QStringLiteral("y") << QStringList {QStringLiteral("sslmode=disable")};
        QTest::addRow("ipv6 host option") << QStringLiteral("postgresql:///db?host=::1") << QStringLiteral("::1") << 0
                                          << QString() << QString() << QStringLiteral("db") << none;
        QTest::addRow("bracketed ipv6 host option")
            << QStringLiteral("postgresql:///db?host=%5Bfe80::1%5D") << QStringLiteral("fe80::1") << 0 << QString()
            << QString() << QStringLiteral("db") << none;
        QTest::addRow("every libpq option")
            << QStringLiteral("postgresql://h/db?sslmode=verify-full&connect_timeout=0&application_name=voxtrack"
                              "&sslrootcert=/etc/ssl/root.crt&sslcert=/home/u/c.crt&sslkey=/home/u/c.key"
                              "&options=-c%20statement_timeout%3D5000&target_session_attrs=read-write"
                              "&keepalives=1&keepalives_idle=30")
            << QStringLiteral("h") << 0 << QString() << QString() << QStringLiteral("db")
            << QStringList {QStringLiteral("sslmode=verify-full"), QStringLiteral("connect_timeout=0"),
                   QStringLiteral("application_name=voxtrack"), QStringLiteral("sslrootcert=/etc/ssl/root.crt"),
                   QStringLiteral("sslcert=/home/u/c.crt"), QStringLiteral("sslkey=/home/u/c.key"),
                   QStringLiteral("options=-c statement_timeout=5000"),
                   QStringLiteral("target_session_attrs=read-write"), QStringLiteral("keepalives=1"),
                   QStringLiteral("keepalives_idle=30")};
        QTest::addRow("plus stays a plus")
            << QStringLiteral("postgresql://h/db?application_name=a+b") << QStringLiteral("h") << 0 << QString()
            << QString() << QStringLiteral("db") << QStringList {QStringLiteral("application_name=a+b")};
        QTest::addRow("empty option value")
            << QStringLiteral("postgresql://h/db?application_name=") << QStringLiteral("h") << 0 << QString()
            << QString() << QStringLiteral("db") << QStringList {QStringLiteral("application_name=")};
        QTest::addRow("no database before the query")
            << QStringLiteral("postgresql://h?sslmode=allow") << QStringLiteral("h") << 0 << QString() << QString()
            << QString() << QStringList {QStringLiteral("sslmode=allow")};
        QTest::addRow("empty query") << QStringLiteral("postgresql://h/db?") << QStringLiteral("h") << 0 << QString()
                                     << QString() << QStringLiteral("db") << none;
        QTest::addRow("empty query pieces")
            << QStringLiteral("postgresql://h/db?&sslmode=prefer&&keepalives=0&") << QStringLiteral("h") << 0
            << QString() << QString() << QStringLiteral("db")
            << QStringList {QStringLiteral("sslmode=prefer"), QStringLiteral("keepalives=0")};
        QTest::addRow("surrounding whitespace") << QStringLiteral("  \tpostgresql://h/db \n") << QStringLiteral("h")
                                                << 0 << QString() << QString() << QStringLiteral("db") << none;
    }

    void parsesPostgreSql()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(QString, database);
        QFETCH(QStringList, options);

        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(url.hasValue(), qPrintable(url.hasValue() ? QString() : url.error().toString()));
        QVERIFY(url->isPostgreSql());
        QVERIFY(!url->isSqlite());
        QCOMPARE(url->backend(), DatabaseUrl::Backend::PostgreSql);
        QCOMPARE(url->host(), host);
        QCOMPARE(url->port(), port);
        QCOMPARE(url->userName(), user);
        QCOMPARE(url->password(), password);
        QCOMPARE(url->passwordSource(), password.isEmpty() ? Source::None : Source::Url);
        QCOMPARE(url->databaseName(), database);
        QCOMPARE(optionList(*url), options);
        QVERIFY(url->sqlitePath().isEmpty());
    }

    void acceptsEverySslMode_data()
    {
        QTest::addColumn<QString>("mode");
        for (const char* mode : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
            QTest::addRow("%s", mode) << QString::fromLatin1(mode);
    }

    void acceptsEverySslMode()
    {
        QFETCH(QString, mode);
        const auto url = DatabaseUrl::parse(QStringLiteral("postgresql://h/db?sslmode=") + mode);
        QVERIFY(url.hasValue());
        QCOMPARE(url->option(QStringLiteral("sslmode")), mode);
    }

    void parsesSqlite_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("readOnly");

        QTest::addRow("absolute") << QStringLiteral("sqlite:///tmp/x.db") << QStringLiteral("/tmp/x.db") << false;
        QTest::addRow("single slash") << QStringLiteral("sqlite:/tmp/x.db") << QStringLiteral("/tmp/x.db") << false;
        QTest::addRow("four slashes") << QStringLiteral("sqlite:////tmp/x.db") << QStringLiteral("/tmp/x.db") << false;
        QTest::addRow("absolute cleaned")
            << QStringLiteral("sqlite:///tmp/a/../b/./x.db") << QStringLiteral("/tmp/b/x.db") << false;
        QTest::addRow("relative") << QStringLiteral("sqlite:relative.db")
                                  << inWorkingDirectory(QStringLiteral("relative.db")) << false;
        QTest::addRow("relative in a directory") << QStringLiteral("sqlite:dir/relative.db")
                                                 << inWorkingDirectory(QStringLiteral("dir/relative.db")) << false;
        QTest::addRow("relative cleaned")
            << QStringLiteral("sqlite:./a/../b.db") << inWorkingDirectory(QStringLiteral("b.db")) << false;
        QTest::addRow("in memory") << QStringLiteral("sqlite::memory:") << QStringLiteral(":memory:") << false;
        QTest::addRow("in memory read-only")
            << QStringLiteral("sqlite::memory:?mode=ro") << QStringLiteral(":memory:") << true;
        QTest::addRow("percent-decoded") << QStringLiteral("sqlite:///tmp/my%20file%23%3F.db")
                                         << QStringLiteral("/tmp/my file#?.db") << false;
        QTest::addRow("non-ascii") << QStringLiteral("sqlite:///tmp/donn%C3%A9es/été.db")
                                   << QStringLiteral("/tmp/données/été.db") << false;
        QTest::addRow("read-only") << QStringLiteral("sqlite:///tmp/x.db?mode=ro") << QStringLiteral("/tmp/x.db")
                                   << true;
        QTest::addRow("read-write") << QStringLiteral("sqlite:///tmp/x.db?mode=rw") << QStringLiteral("/tmp/x.db")
                                    << false;
        QTest::addRow("read-write-create")
            << QStringLiteral("sqlite:///tmp/x.db?mode=rwc") << QStringLiteral("/tmp/x.db") << false;
        QTest::addRow("scheme in capitals")
            << QStringLiteral("SQLite:///tmp/x.db") << QStringLiteral("/tmp/x.db") << false;
        QTest::addRow("surrounding whitespace")
            << QStringLiteral(" sqlite:///tmp/x.db\n") << QStringLiteral("/tmp/x.db") << false;
    }

    void parsesSqlite()
    {
        QFETCH(QString, text);
        QFETCH(QString, path);
        QFETCH(bool, readOnly);

        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(url.hasValue(), qPrintable(url.hasValue() ? QString() : url.error().toString()));
        QVERIFY(url->isSqlite());
        QCOMPARE(url->backend(), DatabaseUrl::Backend::Sqlite);
        QCOMPARE(url->sqlitePath(), path);
        QCOMPARE(url->isInMemory(), path == u":memory:");
        QCOMPARE(url->isReadOnly(), readOnly);
        QVERIFY(url->options().isEmpty());
        QVERIFY(url->host().isEmpty());
    }

    void rejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("mentions");

        const QString empty = QStringLiteral("url.empty");
        QTest::addRow("empty") << QString() << empty << QStringLiteral("empty");
        QTest::addRow("spaces") << QStringLiteral("   ") << empty << QStringLiteral("empty");
        QTest::addRow("whitespace") << QStringLiteral("\t\n ") << empty << QStringLiteral("empty");

        const QString scheme = QStringLiteral("url.scheme");
        QTest::addRow("mysql") << QStringLiteral("mysql://u@h/db") << scheme << QStringLiteral("\"mysql\"");
        QTest::addRow("http") << QStringLiteral("http://example.com/") << scheme << QStringLiteral("\"http\"");
        QTest::addRow("file") << QStringLiteral("file:///tmp/x.db") << scheme << QStringLiteral("\"file\"");
        QTest::addRow("pgsql") << QStringLiteral("pgsql://h/db") << scheme << QStringLiteral("\"pgsql\"");
        QTest::addRow("postgresql typo") << QStringLiteral("postgresq://h/db") << scheme
                                         << QStringLiteral("postgresql://");
        QTest::addRow("absolute sqlite file")
            << QStringLiteral("/tmp/x.db") << scheme << QStringLiteral("sqlite:///tmp/x.db");
        QTest::addRow("relative sqlite file") << QStringLiteral("x.db") << scheme << QStringLiteral("sqlite:x.db");
        QTest::addRow("sqlite3 file") << QStringLiteral("data/app.sqlite3") << scheme
                                      << QStringLiteral("sqlite:data/app.sqlite3");
        QTest::addRow("file with a space")
            << QStringLiteral("/tmp/my file.sqlite") << scheme << QStringLiteral("sqlite:///tmp/my%20file.sqlite");
        QTest::addRow("other file") << QStringLiteral("/tmp/notes.txt") << scheme << QStringLiteral("/tmp/notes.txt");
        QTest::addRow("bare word") << QStringLiteral("postgresql") << scheme << QStringLiteral("postgresql://");
        QTest::addRow("no scheme with user") << QStringLiteral("//u@h/db") << scheme << QStringLiteral("postgresql://");

        const QString syntax = QStringLiteral("url.syntax");
        QTest::addRow("no slashes") << QStringLiteral("postgresql:db") << syntax << QStringLiteral("\"//\"");
        QTest::addRow("one slash") << QStringLiteral("postgres:/db") << syntax << QStringLiteral("postgres://");
        QTest::addRow("bad escape in user")
            << QStringLiteral("postgresql://u%zz@h/db") << syntax << QStringLiteral("\"%zz\"");
        QTest::addRow("truncated escape")
            << QStringLiteral("postgresql://h/db%4") << syntax << QStringLiteral("\"%4\"");
        QTest::addRow("lone percent in host")
            << QStringLiteral("postgresql://h%/db") << syntax << QStringLiteral("the host");
        QTest::addRow("bad escape in option") << QStringLiteral("postgresql://h/db?application_name=100%") << syntax
                                              << QStringLiteral("application_name");
        QTest::addRow("encoded nul") << QStringLiteral("postgresql://h/d%00b") << syntax << QStringLiteral("%00");
        QTest::addRow("not utf-8") << QStringLiteral("postgresql://h/%FF") << syntax << QStringLiteral("UTF-8");
        QTest::addRow("space in database") << QStringLiteral("postgresql://h/my db") << syntax << QStringLiteral("%20");
        QTest::addRow("fragment") << QStringLiteral("postgresql://h/db#main") << syntax << QStringLiteral("%23");
        QTest::addRow("backslash in host") << QStringLiteral("postgresql://h\\x/db") << syntax << QStringLiteral("%5C");
        QTest::addRow("quote in user") << QStringLiteral("postgresql://a\"b@h/db") << syntax
                                       << QStringLiteral("the user name");
        QTest::addRow("tab in option") << QStringLiteral("postgresql://h/db?application_name=a\tb") << syntax
                                       << QStringLiteral("U+0009");
        QTest::addRow("two path segments")
            << QStringLiteral("postgresql://h/a/b") << syntax << QStringLiteral("\"a/b\"");
        QTest::addRow("trailing slash") << QStringLiteral("postgresql://h/db/") << syntax << QStringLiteral("\"db/\"");
        QTest::addRow("unbracketed ipv6") << QStringLiteral("postgresql://::1/db") << syntax << QStringLiteral("[::1]");
        QTest::addRow("unbracketed ipv6 with port")
            << QStringLiteral("postgresql://fe80::1:5432/db") << syntax << QStringLiteral("fe80::1:5432");
        QTest::addRow("unclosed bracket")
            << QStringLiteral("postgresql://[::1/db") << syntax << QStringLiteral("\"]\"");
        QTest::addRow("bad ipv6") << QStringLiteral("postgresql://[::g]/db") << syntax << QStringLiteral("\"::g\"");
        QTest::addRow("ipv6 with two gaps")
            << QStringLiteral("postgresql://[1::2::3]/db") << syntax << QStringLiteral("1::2::3");
        QTest::addRow("ipv6 too long") << QStringLiteral("postgresql://[1:2:3:4:5:6:7:8:9]/db") << syntax
                                       << QStringLiteral("1:2:3:4:5:6:7:8:9");
        QTest::addRow("empty brackets") << QStringLiteral("postgresql://[]/db") << syntax << QStringLiteral("IPv6");
        QTest::addRow("text after brackets")
            << QStringLiteral("postgresql://[::1]x/db") << syntax << QStringLiteral("\"x\"");
        QTest::addRow("bad host") << QStringLiteral("postgresql://ho$t/db") << syntax << QStringLiteral("\"ho$t\"");
        QTest::addRow("bad host option") << QStringLiteral("postgresql:///db?host=a%20b") << syntax
                                         << QStringLiteral("\"a b\"");
        QTest::addRow("bad ipv6 host option")
            << QStringLiteral("postgresql:///db?host=1:::2") << syntax << QStringLiteral("1:::2");
        QTest::addRow("several hosts") << QStringLiteral("postgresql://a,b/db") << syntax << QStringLiteral("\"a,b\"");
        QTest::addRow("raw @ in password")
            << QStringLiteral("postgresql://u:p@ss@h/db") << syntax << QStringLiteral("%40");
        QTest::addRow("raw slash in password")
            << QStringLiteral("postgresql://u:pa/ss@h/db") << syntax << QStringLiteral("%2F");
        QTest::addRow("raw question mark in password")
            << QStringLiteral("postgresql://u:pa?ss@h/db") << syntax << QStringLiteral("%3F");
        QTest::addRow("space in sqlite path")
            << QStringLiteral("sqlite:/tmp/a b.db") << syntax << QStringLiteral("%20");
        QTest::addRow("bad escape in sqlite path")
            << QStringLiteral("sqlite:///tmp/%zz.db") << syntax << QStringLiteral("\"%zz\"");

        const QString port = QStringLiteral("url.port");
        QTest::addRow("port too large") << QStringLiteral("postgresql://h:99999/db") << port
                                        << QStringLiteral("\"99999\"");
        QTest::addRow("port 65536") << QStringLiteral("postgresql://h:65536/db") << port << QStringLiteral("\"65536\"");
        QTest::addRow("port zero") << QStringLiteral("postgresql://h:0/db") << port << QStringLiteral("\"0\"");
        QTest::addRow("port not a number")
            << QStringLiteral("postgresql://h:abc/db") << port << QStringLiteral("\"abc\"");
        QTest::addRow("negative port") << QStringLiteral("postgresql://h:-1/db") << port << QStringLiteral("\"-1\"");
        QTest::addRow("port with sign") << QStringLiteral("postgresql://h:+5432/db") << port
                                        << QStringLiteral("\"+5432\"");
        QTest::addRow("huge port") << QStringLiteral("postgresql://h:123456789012345/db") << port
                                   << QStringLiteral("123456789012345");
        QTest::addRow("ipv6 bad port") << QStringLiteral("postgresql://[::1]:x/db") << port << QStringLiteral("\"x\"");
        QTest::addRow("port option") << QStringLiteral("postgresql://h/db?port=5432x") << port
                                     << QStringLiteral("\"5432x\"");

        const QString option = QStringLiteral("url.option");
        QTest::addRow("unknown option") << QStringLiteral("postgresql://h/db?sslmod=require") << option
                                        << QStringLiteral("\"sslmod\"");
        QTest::addRow("unknown option lists accepted ones")
            << QStringLiteral("postgresql://h/db?ssl=true") << option << QStringLiteral("sslmode, sslrootcert");
        QTest::addRow("option names are case-sensitive")
            << QStringLiteral("postgresql://h/db?SSLMODE=require") << option << QStringLiteral("\"SSLMODE\"");
        QTest::addRow("hostaddr") << QStringLiteral("postgresql://h/db?hostaddr=1.2.3.4") << option
                                  << QStringLiteral("\"hostaddr\"");
        QTest::addRow("bad sslmode") << QStringLiteral("postgresql://h/db?sslmode=maybe") << option
                                     << QStringLiteral("\"maybe\"");
        QTest::addRow("sslmode in capitals")
            << QStringLiteral("postgresql://h/db?sslmode=REQUIRE") << option << QStringLiteral("verify-full");
        QTest::addRow("negative timeout")
            << QStringLiteral("postgresql://h/db?connect_timeout=-1") << option << QStringLiteral("\"-1\"");
        QTest::addRow("fractional timeout")
            << QStringLiteral("postgresql://h/db?connect_timeout=1.5") << option << QStringLiteral("\"1.5\"");
        QTest::addRow("empty timeout") << QStringLiteral("postgresql://h/db?connect_timeout=") << option
                                       << QStringLiteral("connect_timeout");
        QTest::addRow("bad keepalives") << QStringLiteral("postgresql://h/db?keepalives=2") << option
                                        << QStringLiteral("\"2\"");
        QTest::addRow("bad keepalives_idle")
            << QStringLiteral("postgresql://h/db?keepalives_idle=soon") << option << QStringLiteral("\"soon\"");
        QTest::addRow("bad target_session_attrs") << QStringLiteral("postgresql://h/db?target_session_attrs=master")
                                                  << option << QStringLiteral("\"master\"");
        QTest::addRow("option without value")
            << QStringLiteral("postgresql://h/db?sslmode") << option << QStringLiteral("sslmode=value");
        QTest::addRow("duplicate option") << QStringLiteral("postgresql://h/db?sslmode=require&sslmode=disable")
                                          << option << QStringLiteral("\"sslmode\"");
        QTest::addRow("duplicate override")
            << QStringLiteral("postgresql:///db?host=a&host=b") << option << QStringLiteral("\"host\"");
        QTest::addRow("sqlite option") << QStringLiteral("sqlite:x.db?cache=shared") << option
                                       << QStringLiteral("\"cache\"");
        QTest::addRow("sqlite mode without value")
            << QStringLiteral("sqlite:x.db?mode") << option << QStringLiteral("mode=value");
        QTest::addRow("sqlite duplicate mode")
            << QStringLiteral("sqlite:x.db?mode=ro&mode=rw") << option << QStringLiteral("\"mode\"");

        const QString sqlitePath = QStringLiteral("url.sqlite_path");
        QTest::addRow("sqlite host") << QStringLiteral("sqlite://data/x.db") << sqlitePath
                                     << QStringLiteral("sqlite:///data/x.db");
        QTest::addRow("sqlite localhost")
            << QStringLiteral("sqlite://localhost/tmp/x.db") << sqlitePath << QStringLiteral("\"localhost\"");
        QTest::addRow("sqlite host only")
            << QStringLiteral("sqlite://x.db") << sqlitePath << QStringLiteral("sqlite:x.db");
        QTest::addRow("sqlite nothing") << QStringLiteral("sqlite:") << sqlitePath << QStringLiteral("no file path");
        QTest::addRow("sqlite two slashes")
            << QStringLiteral("sqlite://") << sqlitePath << QStringLiteral("no file path");
        QTest::addRow("sqlite three slashes")
            << QStringLiteral("sqlite:///") << sqlitePath << QStringLiteral("no file path");
        QTest::addRow("sqlite only a query")
            << QStringLiteral("sqlite:?mode=ro") << sqlitePath << QStringLiteral("no file path");
        QTest::addRow("sqlite directory")
            << QStringLiteral("sqlite:///tmp/") << sqlitePath << QStringLiteral("\"/tmp/\"");
        QTest::addRow("sqlite bad mode") << QStringLiteral("sqlite:x.db?mode=readonly") << sqlitePath
                                         << QStringLiteral("\"readonly\"");
        QTest::addRow("sqlite memory mode")
            << QStringLiteral("sqlite::memory:?mode=memory") << sqlitePath << QStringLiteral("\"memory\"");
    }

    void rejects()
    {
        QFETCH(QString, text);
        QFETCH(QString, code);
        QFETCH(QString, mentions);

        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(!url.hasValue(), qPrintable(url.hasValue() ? url->toString() : QString()));
        const QString message = url.error().message;
        QVERIFY2(url.error().code == code, qPrintable(url.error().toString()));
        QVERIFY(!message.isEmpty());
        QVERIFY2(message.contains(mentions), qPrintable(message));
        // One sentence: a capital or quote at the start, a full stop at the end, nothing after.
        QVERIFY2(message.endsWith(u'.'), qPrintable(message));
        QVERIFY2(message.at(0).isUpper() || message.at(0) == u'"', qPrintable(message));
        QVERIFY2(!message.contains(QStringLiteral("\n")), qPrintable(message));
    }

    void errorsNeverShowThePassword_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("bad escape in password") << QStringLiteral("postgresql://u:s3cretpw%zz@h/db");
        QTest::addRow("raw at in password") << QStringLiteral("postgresql://u:s3cret@pw@h/db");
        QTest::addRow("raw slash in password") << QStringLiteral("postgresql://u:s3cr/etpw@h/db");
        QTest::addRow("raw question mark in password") << QStringLiteral("postgresql://u:s3cr?etpw@h/db");
        QTest::addRow("bad port") << QStringLiteral("postgresql://u:s3cretpw@h:99999/db");
        QTest::addRow("bad option") << QStringLiteral("postgresql://u:s3cretpw@h/db?sslmode=no");
        QTest::addRow("password option") << QStringLiteral("postgresql://h/db?password=s3cretpw%zz");
        QTest::addRow("unsupported scheme") << QStringLiteral("mysql://u:s3cretpw@h/db");
        QTest::addRow("no scheme") << QStringLiteral("u:s3cretpw@h/db");
        QTest::addRow("no scheme with slashes") << QStringLiteral("//u:s3cretpw@h/db");
    }

    void errorsNeverShowThePassword()
    {
        QFETCH(QString, text);
        const auto url = DatabaseUrl::parse(text);
        QVERIFY(!url.hasValue());
        QVERIFY2(!url.error().message.contains(QStringLiteral("s3cr")), qPrintable(url.error().message));
        QVERIFY2(!url.error().message.contains(QStringLiteral("etpw")), qPrintable(url.error().message));
    }

    void normalises_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("normalised");
        QTest::addColumn<QString>("display");

        QTest::addRow("postgres scheme and port")
            << QStringLiteral("postgres://alice:s3cret@Host:05432/db?sslmode=require")
            << QStringLiteral("postgresql://alice:s3cret@Host:5432/db?sslmode=require")
            << QStringLiteral("postgresql://alice:***@Host:5432/db?sslmode=require");
        QTest::addRow("encoded password")
            << QStringLiteral("postgresql://u:p%40ss%2F%3A%20w@h/db")
            << QStringLiteral("postgresql://u:p%40ss%2F%3A%20w@h/db") << QStringLiteral("postgresql://u:***@h/db");
        QTest::addRow("no password") << QStringLiteral("postgresql://u@h/db") << QStringLiteral("postgresql://u@h/db")
                                     << QStringLiteral("postgresql://u@h/db");
        QTest::addRow("empty password") << QStringLiteral("postgresql://u:@h/db")
                                        << QStringLiteral("postgresql://u@h/db")
                                        << QStringLiteral("postgresql://u@h/db");
        QTest::addRow("password only") << QStringLiteral("postgresql://:pw@h") << QStringLiteral("postgresql://:pw@h")
                                       << QStringLiteral("postgresql://:***@h");
        QTest::addRow("bare") << QStringLiteral("postgresql://") << QStringLiteral("postgresql://")
                              << QStringLiteral("postgresql://");
        QTest::addRow("socket directory") << QStringLiteral("postgresql:///db?host=/var/run/postgresql")
                                          << QStringLiteral("postgresql:///db?host=/var/run/postgresql")
                                          << QStringLiteral("postgresql:///db?host=/var/run/postgresql");
        QTest::addRow("encoded socket directory")
            << QStringLiteral("postgresql://%2Ftmp:5433") << QStringLiteral("postgresql://:5433/?host=/tmp")
            << QStringLiteral("postgresql://:5433/?host=/tmp");
        QTest::addRow("ipv6") << QStringLiteral("postgresql://[::1]:6000/db")
                              << QStringLiteral("postgresql://[::1]:6000/db")
                              << QStringLiteral("postgresql://[::1]:6000/db");
        QTest::addRow("ipv6 host option")
            << QStringLiteral("postgresql:///db?host=::1") << QStringLiteral("postgresql://[::1]/db")
            << QStringLiteral("postgresql://[::1]/db");
        QTest::addRow("query without database")
            << QStringLiteral("postgresql://h?sslmode=disable") << QStringLiteral("postgresql://h/?sslmode=disable")
            << QStringLiteral("postgresql://h/?sslmode=disable");
        QTest::addRow("overrides folded in")
            << QStringLiteral("postgresql://a:b@h:1/x?host=other&port=2&user=c&password=d&dbname=y")
            << QStringLiteral("postgresql://c:d@other:2/y") << QStringLiteral("postgresql://c:***@other:2/y");
        QTest::addRow("password option") << QStringLiteral(
            "postgresql://u@h/db?password=top%20secret&application_name=vox")
                                         << QStringLiteral("postgresql://u:top%20secret@h/db?application_name=vox")
                                         << QStringLiteral("postgresql://u:***@h/db?application_name=vox");
        QTest::addRow("encoded option values")
            << QStringLiteral(
                   "postgresql://h/db?application_name=voice%20agent&options=-c%20a%3Db%26c&sslrootcert=/r.crt")
            << QStringLiteral(
                   "postgresql://h/db?application_name=voice%20agent&options=-c%20a%3Db%26c&sslrootcert=/r.crt")
            << QStringLiteral(
                   "postgresql://h/db?application_name=voice%20agent&options=-c%20a%3Db%26c&sslrootcert=/r.crt");
        QTest::addRow("unicode") << QStringLiteral("postgresql://jürgen@h/déjà")
                                 << QStringLiteral("postgresql://j%C3%BCrgen@h/d%C3%A9j%C3%A0")
                                 << QStringLiteral("postgresql://j%C3%BCrgen@h/d%C3%A9j%C3%A0");
        QTest::addRow("sqlite absolute") << QStringLiteral("sqlite:/tmp/x.db") << QStringLiteral("sqlite:///tmp/x.db")
                                         << QStringLiteral("sqlite:///tmp/x.db");
        QTest::addRow("sqlite relative") << QStringLiteral("sqlite:x.db")
                                         << QStringLiteral("sqlite://") + inWorkingDirectory(QStringLiteral("x.db"))
                                         << QStringLiteral("sqlite://") + inWorkingDirectory(QStringLiteral("x.db"));
        QTest::addRow("sqlite encoded") << QStringLiteral("sqlite:///tmp/a%20b%3F%23%25.db")
                                        << QStringLiteral("sqlite:///tmp/a%20b%3F%23%25.db")
                                        << QStringLiteral("sqlite:///tmp/a%20b%3F%23%25.db");
        QTest::addRow("sqlite read-only")
            << QStringLiteral("sqlite:///tmp/x.db?mode=ro") << QStringLiteral("sqlite:///tmp/x.db?mode=ro")
            << QStringLiteral("sqlite:///tmp/x.db?mode=ro");
        QTest::addRow("sqlite read-write")
            << QStringLiteral("sqlite:///tmp/x.db?mode=rwc") << QStringLiteral("sqlite:///tmp/x.db")
            << QStringLiteral("sqlite:///tmp/x.db");
        QTest::addRow("sqlite memory") << QStringLiteral("sqlite::memory:") << QStringLiteral("sqlite::memory:")
                                       << QStringLiteral("sqlite::memory:");
        QTest::addRow("sqlite memory read-only")
            << QStringLiteral("sqlite::memory:?mode=ro") << QStringLiteral("sqlite::memory:?mode=ro")
            << QStringLiteral("sqlite::memory:?mode=ro");
    }

    void normalises()
    {
        QFETCH(QString, text);
        QFETCH(QString, normalised);
        QFETCH(QString, display);

        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(url.hasValue(), qPrintable(url.hasValue() ? QString() : url.error().toString()));
        QCOMPARE(url->toString(), normalised);
        QCOMPARE(url->toDisplayString(), display);
    }

    void roundTrips_data()
    {
        QTest::addColumn<QString>("text");
        const char* texts[] = {
            "postgresql://alice:s3cret@db.example.com:6543/voxtrack?sslmode=require&connect_timeout=5",
            "postgresql://us%40er:p%40ss%3Aw%2Fo%20rd%25%3F%23%26%3D%2B@h/d%20b%2F%3F",
            "postgresql://u:a:b@h/db",
            "postgresql://",
            "postgresql://:5433",
            "postgresql://:pw@/db",
            "postgresql:///db?host=/var/run/postgresql&sslmode=disable",
            "postgresql://%2Fsocket%20dir%3Fx/db",
            "postgresql://[::1]:5432/db",
            "postgresql://[::ffff:192.0.2.1]/db",
            "postgresql:///db?host=fe80::1",
            "postgresql://a:b@h:1/x?host=other&port=2&user=c&password=d&dbname=y",
            "postgresql://h/db?application_name=a+b%20c%26d%3De%27f%5Cg%3Bh&options=-c%20x%3Dy",
            "postgresql://h/db?application_name=&sslcert=/a%20b/c.crt&keepalives=1&keepalives_idle=10",
            "postgresql://j%C3%BCrgen:p%C3%A4ss@h/d%C3%A9j%C3%A0",
            "postgresql://h/db?target_session_attrs=prefer-standby",
            "sqlite:///tmp/x.db",
            "sqlite:relative/x.db",
            "sqlite:///tmp/a%20b%3F%23%25%3A.db?mode=ro",
            "sqlite:///tmp/donn%C3%A9es.db",
            "sqlite::memory:",
            "sqlite::memory:?mode=ro",
        };
        for (const char* text : texts)
            QTest::addRow("%s", text) << QString::fromUtf8(text);
    }

    void roundTrips()
    {
        QFETCH(QString, text);
        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(url.hasValue(), qPrintable(url.hasValue() ? QString() : url.error().toString()));
        const auto again = DatabaseUrl::parse(url->toString());
        QVERIFY2(again.hasValue(), qPrintable(again.hasValue() ? QString() : again.error().toString()));
        QVERIFY2(*again == *url, qPrintable(url->toString()));
        QCOMPARE(again->toString(), url->toString());
        QCOMPARE(again->password(), url->password());

        // The display string parses too, to the same URL but for the password.
        const auto shown = DatabaseUrl::parse(url->toDisplayString());
        QVERIFY(shown.hasValue());
        QCOMPARE(shown->password(), url->password().isEmpty() ? QString() : QStringLiteral("***"));
        QCOMPARE(shown->withOption(QStringLiteral("password"), url->password()), *url);
    }

    void displayHidesThePassword()
    {
        const QString password = QStringLiteral("pa55:w@rd/é");
        const auto url = DatabaseUrl::parse(QStringLiteral("postgresql://alice:pa55%3Aw%40rd%2F%C3%A9@h/db"));
        QVERIFY(url.hasValue());
        QCOMPARE(url->password(), password);
        QVERIFY(!url->toDisplayString().contains(QStringLiteral("pa55")));
        QVERIFY(url->toDisplayString().contains(QStringLiteral("alice:***@")));
        QVERIFY(url->toString().contains(QStringLiteral("pa55%3Aw%40rd%2F%C3%A9")));

        // A password from the query string is hidden just the same.
        const auto fromQuery = DatabaseUrl::parse(QStringLiteral("postgresql://h/db?password=hunter2"));
        QVERIFY(fromQuery.hasValue());
        QVERIFY(!fromQuery->toDisplayString().contains(QStringLiteral("hunter2")));
        QCOMPARE(fromQuery->toDisplayString(), QStringLiteral("postgresql://:***@h/db"));
    }

    void qpsqlConnectOptions_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");

        QTest::addRow("none") << QStringLiteral("postgresql://h/db") << QString();
        QTest::addRow("two options") << QStringLiteral("postgresql://h/db?sslmode=require&connect_timeout=5")
                                     << QStringLiteral("sslmode=require;connect_timeout=5");
        QTest::addRow("order kept") << QStringLiteral("postgresql://h/db?connect_timeout=5&sslmode=require")
                                    << QStringLiteral("connect_timeout=5;sslmode=require");
        QTest::addRow("carried by QSqlDatabase left out")
            << QStringLiteral("postgresql://h/db?host=/tmp&port=5&user=u&password=p&dbname=d&sslmode=disable")
            << QStringLiteral("sslmode=disable");
        QTest::addRow("space quoted") << QStringLiteral("postgresql://h/db?application_name=voice%20agent")
                                      << QStringLiteral("application_name='voice agent'");
        QTest::addRow("quote escaped") << QStringLiteral("postgresql://h/db?application_name=it%27s")
                                       << QStringLiteral("application_name='it\\'s'");
        QTest::addRow("backslash escaped") << QStringLiteral("postgresql://h/db?sslcert=C:%5Ccerts%5Cc.crt")
                                           << QStringLiteral("sslcert='C:\\\\certs\\\\c.crt'");
        QTest::addRow("semicolon quoted")
            << QStringLiteral("postgresql://h/db?application_name=a%3Bb") << QStringLiteral("application_name='a;b'");
        QTest::addRow("empty value quoted")
            << QStringLiteral("postgresql://h/db?application_name=") << QStringLiteral("application_name=''");
        QTest::addRow("equals sign left alone") << QStringLiteral("postgresql://h/db?options=-csearch_path%3Dx")
                                                << QStringLiteral("options=-csearch_path=x");
        QTest::addRow("options with a space")
            << QStringLiteral("postgresql://h/db?options=-c%20statement_timeout%3D5000&keepalives=1")
            << QStringLiteral("options='-c statement_timeout=5000';keepalives=1");
    }

    void qpsqlConnectOptions()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto url = DatabaseUrl::parse(text);
        QVERIFY2(url.hasValue(), qPrintable(url.hasValue() ? QString() : url.error().toString()));
        QCOMPARE(url->qpsqlConnectOptions(), expected);
    }

    void optionLookup()
    {
        const DatabaseUrl url
            = parsed(QStringLiteral("postgresql://u:p@h:6000/db?sslmode=require&application_name=vox"));
        QCOMPARE(url.option(QStringLiteral("sslmode")), QStringLiteral("require"));
        QCOMPARE(url.option(QStringLiteral("application_name")), QStringLiteral("vox"));
        QVERIFY(url.option(QStringLiteral("connect_timeout")).isNull());
        QCOMPARE(url.option(QStringLiteral("host")), QStringLiteral("h"));
        QCOMPARE(url.option(QStringLiteral("port")), QStringLiteral("6000"));
        QCOMPARE(url.option(QStringLiteral("user")), QStringLiteral("u"));
        QCOMPARE(url.option(QStringLiteral("password")), QStringLiteral("p"));
        QCOMPARE(url.option(QStringLiteral("dbname")), QStringLiteral("db"));
        QVERIFY(parsed(QStringLiteral("postgresql://h")).option(QStringLiteral("port")).isEmpty());

        QCOMPARE(parsed(QStringLiteral("sqlite:///x.db?mode=ro")).option(QStringLiteral("mode")), QStringLiteral("ro"));
        QVERIFY(parsed(QStringLiteral("sqlite:///x.db")).option(QStringLiteral("mode")).isEmpty());
    }

    void withDatabaseName()
    {
        const DatabaseUrl url = parsed(QStringLiteral("postgresql://u:p@h:6000/voxtrack?sslmode=require"));
        const DatabaseUrl other = url.withDatabaseName(QStringLiteral("postgres"));
        QCOMPARE(other.databaseName(), QStringLiteral("postgres"));
        QCOMPARE(other.host(), url.host());
        QCOMPARE(other.port(), url.port());
        QCOMPARE(other.userName(), url.userName());
        QCOMPARE(other.password(), url.password());
        QCOMPARE(other.options(), url.options());
        QCOMPARE(url.databaseName(), QStringLiteral("voxtrack"));
        QCOMPARE(other.toString(), QStringLiteral("postgresql://u:p@h:6000/postgres?sslmode=require"));

        const DatabaseUrl odd = url.withDatabaseName(QStringLiteral("a/b c"));
        QCOMPARE(parsed(odd.toString()), odd);

        const DatabaseUrl sqlite = parsed(QStringLiteral("sqlite:///tmp/x.db"));
        QCOMPARE(sqlite.withDatabaseName(QStringLiteral("other")), sqlite);
    }

    void withOption()
    {
        const DatabaseUrl url = parsed(QStringLiteral("postgresql://h/db?sslmode=require&connect_timeout=5"));
        const DatabaseUrl replaced = url.withOption(QStringLiteral("sslmode"), QStringLiteral("disable"));
        QCOMPARE(optionList(replaced),
            (QStringList {QStringLiteral("sslmode=disable"), QStringLiteral("connect_timeout=5")}));
        const DatabaseUrl added = url.withOption(QStringLiteral("application_name"), QStringLiteral("voice agent"));
        QCOMPARE(added.option(QStringLiteral("application_name")), QStringLiteral("voice agent"));
        QCOMPARE(added.qpsqlConnectOptions(),
            QStringLiteral("sslmode=require;connect_timeout=5;application_name='voice agent'"));
        QCOMPARE(parsed(added.toString()), added);
        QCOMPARE(
            optionList(url), (QStringList {QStringLiteral("sslmode=require"), QStringLiteral("connect_timeout=5")}));

        const DatabaseUrl moved = url.withOption(QStringLiteral("host"), QStringLiteral("/run/postgresql"))
                                      .withOption(QStringLiteral("port"), QStringLiteral("5433"))
                                      .withOption(QStringLiteral("user"), QStringLiteral("bob"))
                                      .withOption(QStringLiteral("password"), QStringLiteral("pw"))
                                      .withOption(QStringLiteral("dbname"), QStringLiteral("other"));
        QCOMPARE(moved.host(), QStringLiteral("/run/postgresql"));
        QCOMPARE(moved.port(), 5433);
        QCOMPARE(moved.userName(), QStringLiteral("bob"));
        QCOMPARE(moved.password(), QStringLiteral("pw"));
        QCOMPARE(moved.passwordSource(), Source::Url);
        QCOMPARE(moved.databaseName(), QStringLiteral("other"));
        QCOMPARE(moved.qpsqlConnectOptions(), url.qpsqlConnectOptions());

        const DatabaseUrl sqlite = parsed(QStringLiteral("sqlite:///tmp/x.db"));
        QVERIFY(sqlite.withOption(QStringLiteral("mode"), QStringLiteral("ro")).isReadOnly());
        QVERIFY(!parsed(QStringLiteral("sqlite:///tmp/x.db?mode=ro"))
                     .withOption(QStringLiteral("mode"), QStringLiteral("rw"))
                     .isReadOnly());
    }

    void defaultConstructed()
    {
        const DatabaseUrl url;
        QVERIFY(url.isSqlite());
        QVERIFY(url.toString().isEmpty());
        QVERIFY(url.toDisplayString().isEmpty());
        QVERIFY(url.qpsqlConnectOptions().isEmpty());
    }

    void userAndDatabaseDefaults_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("pgUser");
        QTest::addColumn<QByteArray>("login");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("database");

        QTest::addRow("PGUSER") << QStringLiteral("postgresql://h") << QByteArray("tracker") << QByteArray("someone")
                                << QStringLiteral("tracker") << QStringLiteral("tracker");
        QTest::addRow("login name") << QStringLiteral("postgresql://h") << QByteArray() << QByteArray("someone")
                                    << QStringLiteral("someone") << QStringLiteral("someone");
        QTest::addRow("url user wins") << QStringLiteral("postgresql://alice@h") << QByteArray("tracker")
                                       << QByteArray("someone") << QStringLiteral("alice") << QStringLiteral("alice");
        QTest::addRow("database kept") << QStringLiteral("postgresql://h/voxtrack") << QByteArray("tracker")
                                       << QByteArray() << QStringLiteral("tracker") << QStringLiteral("voxtrack");
        QTest::addRow("with a url password") << QStringLiteral("postgresql://:pw@h") << QByteArray("tracker")
                                             << QByteArray() << QStringLiteral("tracker") << QStringLiteral("tracker");
    }

    void userAndDatabaseDefaults()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, pgUser);
        QFETCH(QByteArray, login);
        QFETCH(QString, user);
        QFETCH(QString, database);
        if (!pgUser.isEmpty())
            qputenv("PGUSER", pgUser);
        if (!login.isEmpty())
            qputenv("USER", login);
        qputenv("PGPASSFILE", QFile::encodeName(m_dir.filePath(QStringLiteral("missing"))));

        DatabaseUrl url = parsed(text);
        url.resolveDefaults();
        QCOMPARE(url.userName(), user);
        QCOMPARE(url.databaseName(), database);
    }

    void loginNameFromThePasswordDatabase()
    {
        qunsetenv("USER");
        qputenv("PGPASSFILE", QFile::encodeName(m_dir.filePath(QStringLiteral("missing"))));
        DatabaseUrl url = parsed(QStringLiteral("postgresql://h"));
        url.resolveDefaults();
        const passwd* entry = ::getpwuid(::geteuid());
        if (entry)
            QCOMPARE(url.userName(), QString::fromLocal8Bit(entry->pw_name));
        QCOMPARE(url.databaseName(), url.userName());
    }

    void passwordFromEnvironment()
    {
        qputenv("PGPASSWORD", "from-env");
        qputenv("PGPASSFILE", QFile::encodeName(writePassFile(QStringLiteral("env.pgpass"), "*:*:*:*:from-file\n")));
        DatabaseUrl url = parsed(QStringLiteral("postgresql://u@h/db"));
        url.resolveDefaults();
        QCOMPARE(url.password(), QStringLiteral("from-env"));
        QCOMPARE(url.passwordSource(), Source::Environment);
        QVERIFY(!url.toDisplayString().contains(QStringLiteral("from-env")));

        // Resolving again changes nothing.
        const DatabaseUrl before = url;
        url.resolveDefaults();
        QCOMPARE(url, before);
    }

    void urlPasswordWins()
    {
        qputenv("PGPASSWORD", "from-env");
        qputenv("PGPASSFILE", QFile::encodeName(writePassFile(QStringLiteral("wins.pgpass"), "*:*:*:*:from-file\n")));
        DatabaseUrl url = parsed(QStringLiteral("postgresql://u:from-url@h/db"));
        url.resolveDefaults();
        QCOMPARE(url.password(), QStringLiteral("from-url"));
        QCOMPARE(url.passwordSource(), Source::Url);

        qunsetenv("PGPASSWORD");
        DatabaseUrl viaQuery = parsed(QStringLiteral("postgresql://u@h/db?password=from-query"));
        viaQuery.resolveDefaults();
        QCOMPARE(viaQuery.password(), QStringLiteral("from-query"));
        QCOMPARE(viaQuery.passwordSource(), Source::Url);
    }

    void passwordFile_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("password");

        QTest::addRow("exact match") << QStringLiteral("postgresql://alice@db.example.com:5432/voxtrack")
                                     << QByteArray("db.example.com:5432:voxtrack:alice:exact\n")
                                     << QStringLiteral("exact");
        QTest::addRow("all wildcards") << QStringLiteral("postgresql://alice@h/db") << QByteArray("*:*:*:*:any\n")
                                       << QStringLiteral("any");
        QTest::addRow("wildcard per field")
            << QStringLiteral("postgresql://alice@h:6000/db")
            << QByteArray("*:5432:*:*:wrong-port\nother:*:*:*:wrong-host\nh:*:*:bob:wrong-user\n"
                          "h:6000:*:alice:right\n")
            << QStringLiteral("right");
        QTest::addRow("first match wins") << QStringLiteral("postgresql://alice@h/db")
                                          << QByteArray("h:*:*:*:first\n*:*:*:*:second\n") << QStringLiteral("first");
        QTest::addRow("comments skipped")
            << QStringLiteral("postgresql://alice@h/db")
            << QByteArray("# h:*:*:*:commented\n#*:*:*:*:commented\n\n*:*:*:*:real") << QStringLiteral("real");
        QTest::addRow("escapes in the password")
            << QStringLiteral("postgresql://alice@h/db") << QByteArray("*:*:*:*:pa\\:ss\\\\word\n")
            << QStringLiteral("pa:ss\\word");
        QTest::addRow("unescaped colon in the password")
            << QStringLiteral("postgresql://alice@h/db") << QByteArray("*:*:*:*:a:b\n") << QStringLiteral("a:b");
        QTest::addRow("escaped colons in the host") << QStringLiteral("postgresql://alice@[::1]/db")
                                                    << QByteArray("\\:\\:1:5432:*:*:v6\n") << QStringLiteral("v6");
        QTest::addRow("escaped backslash in a field")
            << QStringLiteral("postgresql://a%5Cb@h/db") << QByteArray("*:*:*:a\\\\b:backslash\n")
            << QStringLiteral("backslash");
        QTest::addRow("escaped star is literal")
            << QStringLiteral("postgresql://bob@h/db") << QByteArray("*:*:*:\\*:literal\n*:*:*:*:any\n")
            << QStringLiteral("any");
        QTest::addRow("escaped star matches a star")
            << QStringLiteral("postgresql://%2A@h/db") << QByteArray("*:*:*:\\*:literal\n*:*:*:*:any\n")
            << QStringLiteral("literal");
        QTest::addRow("empty host is localhost")
            << QStringLiteral("postgresql://alice@/db") << QByteArray("h:*:*:*:wrong\nlocalhost:5432:*:*:local\n")
            << QStringLiteral("local");
        QTest::addRow("default socket is localhost")
            << QStringLiteral("postgresql://alice@/db?host=/var/run/postgresql")
            << QByteArray("localhost:5432:*:*:local\n") << QStringLiteral("local");
        QTest::addRow("other socket directory")
            << QStringLiteral("postgresql://alice@/db?host=/srv/pg")
            << QByteArray("localhost:*:*:*:local\n/srv/pg:*:*:*:socketpw\n") << QStringLiteral("socketpw");
        QTest::addRow("default port") << QStringLiteral("postgresql://alice@h/db")
                                      << QByteArray("h:6000:*:*:wrong\nh:5432:*:*:default\n")
                                      << QStringLiteral("default");
        QTest::addRow("database defaults to user")
            << QStringLiteral("postgresql://alice@h") << QByteArray("h:*:bob:*:wrong\nh:*:alice:alice:mine\n")
            << QStringLiteral("mine");
        QTest::addRow("short lines skipped")
            << QStringLiteral("postgresql://alice@h/db") << QByteArray("h:5432:db\nh:5432:db:alice\n*:*:*:*:fallback\n")
            << QStringLiteral("fallback");
        QTest::addRow("crlf line ends") << QStringLiteral("postgresql://alice@h/db")
                                        << QByteArray("# comment\r\n*:*:*:*:crlf\r\n") << QStringLiteral("crlf");
        QTest::addRow("utf-8") << QStringLiteral("postgresql://j%C3%BCrgen@h/db")
                               << QByteArray("*:*:*:j\xc3\xbcrgen:p\xc3\xa4ss\n") << QStringLiteral("päss");
        QTest::addRow("host names are case-sensitive")
            << QStringLiteral("postgresql://alice@H/db") << QByteArray("h:*:*:*:lower\n") << QString();
        QTest::addRow("no match") << QStringLiteral("postgresql://alice@h/db") << QByteArray("other:*:*:*:x\n")
                                  << QString();
        QTest::addRow("empty password stops the search")
            << QStringLiteral("postgresql://alice@h/db") << QByteArray("h:*:*:*:\n*:*:*:*:later\n") << QString();
        QTest::addRow("empty file") << QStringLiteral("postgresql://alice@h/db") << QByteArray() << QString();
    }

    void passwordFile()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, content);
        QFETCH(QString, password);
        const QString path = writePassFile(QStringLiteral("pgpass"), content);
        QVERIFY(!path.isEmpty());
        qputenv("PGPASSFILE", QFile::encodeName(path));
        qputenv("PGUSER", "alice");

        DatabaseUrl url = parsed(text);
        url.resolveDefaults();
        QCOMPARE(url.password(), password);
        QCOMPARE(url.passwordSource(), password.isEmpty() ? Source::None : Source::PgPassFile);
        if (!password.isEmpty())
            QVERIFY(!url.toDisplayString().contains(password));
    }

    void passwordFilePermissions_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("used");

        QTest::addRow("0600") << 0600 << true;
        QTest::addRow("0400") << 0400 << true;
        QTest::addRow("0644") << 0644 << false;
        QTest::addRow("0640") << 0640 << false;
        QTest::addRow("0604") << 0604 << false;
        QTest::addRow("0620") << 0620 << false;
        QTest::addRow("0601") << 0601 << false;
    }

    void passwordFilePermissions()
    {
        QFETCH(int, mode);
        QFETCH(bool, used);

        QFileDevice::Permissions permissions;
        const std::pair<int, QFileDevice::Permission> bits[] = {
            {0400, QFileDevice::ReadOwner},
            {0200, QFileDevice::WriteOwner},
            {0100, QFileDevice::ExeOwner},
            {0040, QFileDevice::ReadGroup},
            {0020, QFileDevice::WriteGroup},
            {0010, QFileDevice::ExeGroup},
            {0004, QFileDevice::ReadOther},
            {0002, QFileDevice::WriteOther},
            {0001, QFileDevice::ExeOther},
        };
        for (const auto& [bit, permission] : bits) {
            if (mode & bit)
                permissions |= permission;
        }
        if (mode & 0400)
            permissions |= QFileDevice::ReadUser;
        if (mode & 0200)
            permissions |= QFileDevice::WriteUser;

        const QString path = writePassFile(QStringLiteral("mode-%1").arg(mode, 0, 8), "*:*:*:*:secret\n", permissions);
        QVERIFY(!path.isEmpty());
        qputenv("PGPASSFILE", QFile::encodeName(path));

        DatabaseUrl url = parsed(QStringLiteral("postgresql://u@h/db"));
        url.resolveDefaults();
        QCOMPARE(url.password(), used ? QStringLiteral("secret") : QString());
        QCOMPARE(url.passwordSource(), used ? Source::PgPassFile : Source::None);
    }

    void passwordFileInTheHomeDirectory()
    {
        QTemporaryDir home;
        QVERIFY(home.isValid());
        QFile file(home.filePath(QStringLiteral(".pgpass")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("h:*:*:*:from-home\n");
        file.close();
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        qputenv("HOME", QFile::encodeName(home.path()));

        DatabaseUrl url = parsed(QStringLiteral("postgresql://u@h/db"));
        url.resolveDefaults();
        QCOMPARE(url.password(), QStringLiteral("from-home"));
        QCOMPARE(url.passwordSource(), Source::PgPassFile);

        // PGPASSFILE replaces ~/.pgpass rather than adding to it.
        qputenv("PGPASSFILE", QFile::encodeName(writePassFile(QStringLiteral("elsewhere"), "other:*:*:*:x\n")));
        DatabaseUrl elsewhere = parsed(QStringLiteral("postgresql://u@h/db"));
        elsewhere.resolveDefaults();
        QVERIFY(elsewhere.password().isEmpty());
    }

    void missingPasswordFile()
    {
        qputenv("PGPASSFILE", QFile::encodeName(m_dir.filePath(QStringLiteral("does-not-exist"))));
        DatabaseUrl url = parsed(QStringLiteral("postgresql://u@h/db"));
        url.resolveDefaults();
        QVERIFY(url.password().isEmpty());
        QCOMPARE(url.passwordSource(), Source::None);

        qputenv("PGPASSFILE", QFile::encodeName(m_dir.path()));
        DatabaseUrl directory = parsed(QStringLiteral("postgresql://u@h/db"));
        directory.resolveDefaults();
        QVERIFY(directory.password().isEmpty());
    }

    void resolveDefaultsLeavesSqliteAlone()
    {
        qputenv("PGUSER", "tracker");
        qputenv("PGPASSWORD", "from-env");
        const DatabaseUrl before = parsed(QStringLiteral("sqlite:///tmp/x.db"));
        DatabaseUrl url = before;
        url.resolveDefaults();
        QCOMPARE(url, before);
        QVERIFY(url.userName().isEmpty());
        QVERIFY(url.password().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestDatabaseUrl)
#include "tst_databaseurl.moc"
