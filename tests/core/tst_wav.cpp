// SPDX-License-Identifier: MIT
#include "core/wav.h"

#include <QTest>
#include <QtEndian>

using namespace voxtrack;

class TestWav : public QObject {
    Q_OBJECT

private:
    static QByteArray tone(int frames)
    {
        QByteArray pcm(frames * 2, Qt::Uninitialized);
        for (int i = 0; i < frames; ++i)
            qToLittleEndian<qint16>(qint16((i * 37) % 2000 - 1000), pcm.data() + 2 * i);
        return pcm;
    }

private Q_SLOTS:
    void writesAndReadsBack()
    {
        const QByteArray pcm = tone(16000 + 3);
        const QByteArray bytes = wav::file(16000, pcm);
        QCOMPARE(bytes.size(), wav::headerBytes + pcm.size());
        QCOMPARE(bytes.left(4), QByteArray("RIFF"));
        QCOMPARE(qFromLittleEndian<quint32>(bytes.constData() + 4), quint32(bytes.size() - 8));
        QCOMPARE(bytes.mid(8, 8), QByteArray("WAVEfmt "));
        QCOMPARE(qFromLittleEndian<quint32>(bytes.constData() + 28), quint32(32000)); // bytes per second

        const auto format = wav::parse(bytes);
        QVERIFY2(format.hasValue(), qPrintable(format.errorText()));
        QCOMPARE(format->sampleRate, 16000);
        QCOMPARE(format->channels, 1);
        QCOMPARE(format->bitsPerSample, 16);
        QCOMPARE(format->dataOffset, qint64(wav::headerBytes));
        QCOMPARE(format->dataBytes, qint64(pcm.size()));
        QCOMPARE(format->frames(), qint64(16003));
        QCOMPARE(format->durationSeconds(), 16003.0 / 16000.0);
        QCOMPARE(bytes.mid(format->dataOffset), pcm);
    }

    void skipsOtherChunks()
    {
        const QByteArray pcm = tone(80);
        QByteArray bytes = wav::header(8000, pcm.size());
        // A LIST chunk of odd size (padded) between fmt and data, as editors write them.
        QByteArray list("LIST\x03\x00\x00\x00"
                        "abc\x00",
            12);
        bytes.insert(36, list);
        bytes.append(pcm);
        qToLittleEndian<quint32>(quint32(bytes.size() - 8), bytes.data() + 4);
        const auto format = wav::parse(bytes);
        QVERIFY2(format.hasValue(), qPrintable(format.errorText()));
        QCOMPARE(format->dataOffset, qint64(wav::headerBytes + list.size()));
        QCOMPARE(format->frames(), qint64(80));
    }

    void refusesWhatIsNotWav_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("why");
        const QByteArray good = wav::file(16000, tone(100));
        QTest::addRow("empty") << QByteArray() << "RIFF";
        QTest::addRow("json") << QByteArray("{\"error\": 1}") << "RIFF";
        QTest::addRow("cut data") << good.left(good.size() - 10) << "190 follow";
        QByteArray compressed = good;
        qToLittleEndian<quint16>(quint16(3), compressed.data() + 20); // IEEE float
        QTest::addRow("not pcm") << compressed << "not plain PCM";
        QTest::addRow("no data") << good.left(36) << "no data chunk";
    }

    void refusesWhatIsNotWav()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, why);
        const auto format = wav::parse(bytes);
        QVERIFY(!format.hasValue());
        QCOMPARE(format.error().code, QStringLiteral("wav.invalid"));
        QVERIFY2(format.error().message.contains(why), qPrintable(format.error().message));
    }
};

QTEST_GUILESS_MAIN(TestWav)
#include "tst_wav.moc"
