// SPDX-License-Identifier: MIT
#include "store/sqlscript.h"

#include <QFile>
#include <QTest>

using namespace voxtrack::store;

namespace {

/// The statements with their whitespace collapsed: where a comment was dropped the splitter may
/// leave a space or a newline, which does not matter to the database.
QStringList simplified(const QStringList& statements)
{
    QStringList result;
    for (const QString& statement : statements)
        result << statement.simplified();
    return result;
}

QString readResource(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

} // namespace

class TestSqlScript : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void splits_data()
    {
        QTest::addColumn<QString>("script");
        QTest::addColumn<QStringList>("statements");

        // Plain statements.
        QTest::addRow("one statement") << QStringLiteral("SELECT 1;") << QStringList {QStringLiteral("SELECT 1")};
        QTest::addRow("two statements") << QStringLiteral("SELECT 1; SELECT 2;")
                                        << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("statements on several lines")
            << QStringLiteral("CREATE TABLE t (\n    a int,\n    b text\n);\nINSERT INTO t VALUES (1, 'x');\n")
            << QStringList {
                   QStringLiteral("CREATE TABLE t ( a int, b text )"), QStringLiteral("INSERT INTO t VALUES (1, 'x')")};
        QTest::addRow("trailing statement without semicolon") << QStringLiteral(
            "SELECT 1;\nSELECT 2\n") << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("single statement without semicolon")
            << QStringLiteral("  SELECT 42  ") << QStringList {QStringLiteral("SELECT 42")};

        // Empty input and empty statements.
        QTest::addRow("empty script") << QString() << QStringList {};
        QTest::addRow("whitespace only") << QStringLiteral(" \n\t \n") << QStringList {};
        QTest::addRow("semicolons only") << QStringLiteral(";;\n; ;") << QStringList {};
        QTest::addRow("empty statements skipped") << QStringLiteral(
            ";;SELECT 1;; ;\n;SELECT 2;;") << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("comments only") << QStringLiteral("-- a; b\n/* c; d */\n-- e") << QStringList {};

        // Comments are dropped; a semicolon in a comment does not split.
        QTest::addRow("line comment dropped") << QStringLiteral("-- header\nSELECT 1; -- one\nSELECT 2; -- two")
                                              << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("semicolon in line comment")
            << QStringLiteral("SELECT 1 -- not here; nor here;\n + 2;\nSELECT 3;")
            << QStringList {QStringLiteral("SELECT 1 + 2"), QStringLiteral("SELECT 3")};
        QTest::addRow("block comment dropped")
            << QStringLiteral("/* header */ SELECT /* inline */ 1;\n/*\n multi\n line\n*/SELECT 2;")
            << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("semicolon in block comment") << QStringLiteral(
            "SELECT /* a; b; */ 1; SELECT 2;") << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("block comment separates tokens")
            << QStringLiteral("SELECT/**/1;") << QStringList {QStringLiteral("SELECT 1")};
        QTest::addRow("quote in line comment") << QStringLiteral("-- it's the \"header\"\nSELECT 1;\nSELECT 2;")
                                               << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("quote in block comment") << QStringLiteral("/* it's */ SELECT 1; SELECT 2;")
                                                << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};
        QTest::addRow("dashes in block comment") << QStringLiteral(
            "/* -- ; */ SELECT 1; SELECT 2;") << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 2")};

        // Single-quoted strings.
        QTest::addRow("semicolon in string")
            << QStringLiteral("INSERT INTO t VALUES ('a;b'); SELECT 2;")
            << QStringList {QStringLiteral("INSERT INTO t VALUES ('a;b')"), QStringLiteral("SELECT 2")};
        QTest::addRow("doubled quote in string")
            << QStringLiteral("INSERT INTO t VALUES ('it''s; fine'); SELECT 2;")
            << QStringList {QStringLiteral("INSERT INTO t VALUES ('it''s; fine')"), QStringLiteral("SELECT 2")};
        QTest::addRow("string of doubled quotes only") << QStringLiteral(
            "SELECT ''''; SELECT '';") << QStringList {QStringLiteral("SELECT ''''"), QStringLiteral("SELECT ''")};
        QTest::addRow("comment markers in string")
            << QStringLiteral("SELECT '-- no; comment', '/* nor; this */'; SELECT 2;")
            << QStringList {QStringLiteral("SELECT '-- no; comment', '/* nor; this */'"), QStringLiteral("SELECT 2")};
        QTest::addRow("double quote in string")
            << QStringLiteral("SELECT 'say \"hi;\"'; SELECT 2;")
            << QStringList {QStringLiteral("SELECT 'say \"hi;\"'"), QStringLiteral("SELECT 2")};
        QTest::addRow("dollar in string")
            << QStringLiteral("SELECT 'cost: $$; $x$'; SELECT 2;")
            << QStringList {QStringLiteral("SELECT 'cost: $$; $x$'"), QStringLiteral("SELECT 2")};
        QTest::addRow("unterminated string keeps the rest") << QStringLiteral(
            "SELECT 1; SELECT 'a; b") << QStringList {QStringLiteral("SELECT 1"), QStringLiteral("SELECT 'a; b")};

        // Double-quoted identifiers.
        QTest::addRow("semicolon in identifier")
            << QStringLiteral("CREATE TABLE \"odd;name\" (x int); SELECT 2;")
            << QStringList {QStringLiteral("CREATE TABLE \"odd;name\" (x int)"), QStringLiteral("SELECT 2")};
        QTest::addRow("doubled quote in identifier")
            << QStringLiteral("SELECT 1 AS \"a\"\";b\"; SELECT 2;")
            << QStringList {QStringLiteral("SELECT 1 AS \"a\"\";b\""), QStringLiteral("SELECT 2")};
        QTest::addRow("single quote in identifier")
            << QStringLiteral("SELECT 1 AS \"it's;\"; SELECT 2;")
            << QStringList {QStringLiteral("SELECT 1 AS \"it's;\""), QStringLiteral("SELECT 2")};

        // PostgreSQL dollar quoting.
        QTest::addRow("dollar-quoted function body")
            << QStringLiteral("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT f();")
            << QStringList {QStringLiteral("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql"),
                   QStringLiteral("SELECT f()")};
        QTest::addRow("tagged DO block")
            << QStringLiteral("DO $do$\nBEGIN\n    IF NOT EXISTS (SELECT 1) THEN\n        RAISE NOTICE 'x;y';\n"
                              "    END IF;\nEND\n$do$;\nSELECT 2;")
            << QStringList {QStringLiteral("DO $do$ BEGIN IF NOT EXISTS (SELECT 1) THEN RAISE NOTICE 'x;y'; END IF; "
                                           "END $do$"),
                   QStringLiteral("SELECT 2")};
        QTest::addRow("dollar tag containing $$")
            << QStringLiteral("DO $outer$ BEGIN EXECUTE $$ SELECT 1; $$; END $outer$; SELECT 2;")
            << QStringList {
                   QStringLiteral("DO $outer$ BEGIN EXECUTE $$ SELECT 1; $$; END $outer$"), QStringLiteral("SELECT 2")};
        QTest::addRow("comment markers and quotes in dollar quote")
            << QStringLiteral("SELECT $q$ it's -- not; /* a */ comment $q$; SELECT 2;")
            << QStringList {QStringLiteral("SELECT $q$ it's -- not; /* a */ comment $q$"), QStringLiteral("SELECT 2")};
        QTest::addRow("other tag inside dollar quote")
            << QStringLiteral("SELECT $a$ $b$; $a$; SELECT 2;")
            << QStringList {QStringLiteral("SELECT $a$ $b$; $a$"), QStringLiteral("SELECT 2")};
        QTest::addRow("positional parameters are not quotes") << QStringLiteral(
            "SELECT $1; SELECT $2, $3;") << QStringList {QStringLiteral("SELECT $1"), QStringLiteral("SELECT $2, $3")};

        // SQLite triggers: the body's semicolons belong to the CREATE TRIGGER statement.
        QTest::addRow("trigger kept whole")
            << QStringLiteral("CREATE TRIGGER t_count AFTER INSERT ON m BEGIN\n"
                              "    UPDATE s SET n = n + 1 WHERE id = new.sid;\n"
                              "    INSERT INTO log VALUES ('insert;ed');\n"
                              "END;\nSELECT 2;")
            << QStringList {QStringLiteral("CREATE TRIGGER t_count AFTER INSERT ON m BEGIN UPDATE s SET n = n + 1 "
                                           "WHERE id = new.sid; INSERT INTO log VALUES ('insert;ed'); END"),
                   QStringLiteral("SELECT 2")};
        QTest::addRow("temp trigger, lower case, IF NOT EXISTS")
            << QStringLiteral("create temp trigger if not exists t before delete on m begin select 1; select 2; end;"
                              "select 3;")
            << QStringList {QStringLiteral(
                                "create temp trigger if not exists t before delete on m begin select 1; select 2; end"),
                   QStringLiteral("select 3")};
        QTest::addRow("trigger after other statements and a comment")
            << QStringLiteral("SELECT 1;\n-- the trigger\nCREATE TRIGGER t AFTER INSERT ON m BEGIN SELECT 1; END;")
            << QStringList {QStringLiteral("SELECT 1"),
                   QStringLiteral("CREATE TRIGGER t AFTER INSERT ON m BEGIN SELECT 1; END")};
        QTest::addRow("END in a string inside a trigger")
            << QStringLiteral("CREATE TRIGGER t AFTER INSERT ON m BEGIN INSERT INTO log VALUES ('END'); "
                              "INSERT INTO log VALUES ('the end'); END; SELECT 2;")
            << QStringList {QStringLiteral("CREATE TRIGGER t AFTER INSERT ON m BEGIN INSERT INTO log VALUES ('END'); "
                                           "INSERT INTO log VALUES ('the end'); END"),
                   QStringLiteral("SELECT 2")};
        QTest::addRow("CASE ... END inside a trigger")
            << QStringLiteral("CREATE TRIGGER t AFTER INSERT ON m BEGIN\n"
                              "    UPDATE s SET active = CASE WHEN new.role = 'system' THEN 0 ELSE 1 END;\n"
                              "    DELETE FROM q;\n"
                              "END;\nSELECT 2;")
            << QStringList {QStringLiteral("CREATE TRIGGER t AFTER INSERT ON m BEGIN UPDATE s SET active = CASE WHEN "
                                           "new.role = 'system' THEN 0 ELSE 1 END; DELETE FROM q; END"),
                   QStringLiteral("SELECT 2")};
        QTest::addRow("DROP TRIGGER is an ordinary statement")
            << QStringLiteral("DROP TRIGGER IF EXISTS t; SELECT 2;")
            << QStringList {QStringLiteral("DROP TRIGGER IF EXISTS t"), QStringLiteral("SELECT 2")};
        QTest::addRow("transaction statements") << QStringLiteral("BEGIN; SELECT 1; END; COMMIT;")
                                                << QStringList {QStringLiteral("BEGIN"), QStringLiteral("SELECT 1"),
                                                       QStringLiteral("END"), QStringLiteral("COMMIT")};
    }

    void splits()
    {
        QFETCH(QString, script);
        QFETCH(QStringList, statements);
        const QStringList actual = splitSqlScript(script);
        QCOMPARE(simplified(actual), statements);
        for (const QString& statement : actual) {
            QVERIFY2(!statement.isEmpty(), "an empty statement was returned");
            QCOMPARE(statement, statement.trimmed());
        }
    }

    void keepsStringsByteForByte()
    {
        // Whitespace inside quotes is data: it must come through untouched.
        const QString insert = QStringLiteral("INSERT INTO t VALUES ('two  spaces;\n\tand -- a line', \"a  b\", "
                                              "$x$  keep;  $x$)");
        QCOMPARE(splitSqlScript(insert + QStringLiteral(";\n")), QStringList {insert});
    }

    void splitsMigrationFiles_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QStringList>("starts");

        QTest::addRow("sqlite 0001") << QStringLiteral(":/voxtrack/migrations/sqlite/0001_conversation_tables.sql")
                                     << QStringList {
                                            QStringLiteral("CREATE TABLE IF NOT EXISTS conversation_sessions ("),
                                            QStringLiteral("CREATE TABLE IF NOT EXISTS conversation_messages ("),
                                            QStringLiteral("CREATE INDEX IF NOT EXISTS "
                                                           "conversation_messages_session_created_idx"),
                                        };
        QTest::addRow("sqlite 0002")
            << QStringLiteral(":/voxtrack/migrations/sqlite/0002_tracking_columns.sql")
            << QStringList {
                   QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN message_count"),
                   QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN end_reason"),
                   QStringLiteral("ALTER TABLE conversation_messages ADD COLUMN message_id"),
                   QStringLiteral("ALTER TABLE conversation_messages ADD COLUMN seq"),
                   QStringLiteral("UPDATE conversation_messages SET seq"),
                   QStringLiteral("UPDATE conversation_sessions SET message_count"),
                   QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS conversation_messages_message_id_key"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_messages_session_seq_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_started_at_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_user_started_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_active_idx"),
               };
        QTest::addRow("postgresql 0001")
            << QStringLiteral(":/voxtrack/migrations/postgresql/0001_conversation_tables.sql")
            << QStringList {
                   QStringLiteral("CREATE TABLE IF NOT EXISTS conversation_sessions ("),
                   QStringLiteral("CREATE TABLE IF NOT EXISTS conversation_messages ("),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_messages_session_created_idx"),
               };
        QTest::addRow("postgresql 0002")
            << QStringLiteral(":/voxtrack/migrations/postgresql/0002_tracking_columns.sql")
            << QStringList {
                   QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN IF NOT EXISTS message_count"),
                   QStringLiteral("ALTER TABLE conversation_sessions ADD COLUMN IF NOT EXISTS end_reason"),
                   QStringLiteral("ALTER TABLE conversation_sessions ADD CONSTRAINT "
                                  "conversation_sessions_end_reason_check"),
                   QStringLiteral("ALTER TABLE conversation_messages ADD COLUMN IF NOT EXISTS message_id"),
                   QStringLiteral("ALTER TABLE conversation_messages ADD COLUMN IF NOT EXISTS seq"),
                   QStringLiteral("UPDATE conversation_messages m SET seq"),
                   QStringLiteral("UPDATE conversation_sessions s SET message_count"),
                   QStringLiteral("CREATE UNIQUE INDEX IF NOT EXISTS conversation_messages_message_id_key"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_messages_session_seq_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_started_at_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_user_started_idx"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS conversation_sessions_active_idx"),
               };
    }

    void splitsMigrationFiles()
    {
        QFETCH(QString, path);
        QFETCH(QStringList, starts);
        const QString script = readResource(path);
        QVERIFY2(!script.isEmpty(), qPrintable(QStringLiteral("cannot read the resource %1").arg(path)));

        const QStringList statements = simplified(splitSqlScript(script));
        QCOMPARE(statements.size(), starts.size());
        for (qsizetype i = 0; i < statements.size(); ++i) {
            QVERIFY2(statements.at(i).startsWith(starts.at(i)),
                qPrintable(QStringLiteral("statement %1 is \"%2\", expected it to start with \"%3\"")
                               .arg(i + 1)
                               .arg(statements.at(i), starts.at(i))));
            // The header comments (SPDX line, the constraint list) are gone.
            QVERIFY2(!statements.at(i).contains(QStringLiteral("--")), qPrintable(statements.at(i)));
            QVERIFY2(!statements.at(i).contains(QStringLiteral("SPDX")), qPrintable(statements.at(i)));
            QVERIFY2(!statements.at(i).endsWith(u';'), qPrintable(statements.at(i)));
        }
    }
};

QTEST_GUILESS_MAIN(TestSqlScript)
#include "tst_sqlscript.moc"
