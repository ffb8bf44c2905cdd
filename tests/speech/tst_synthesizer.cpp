// SPDX-License-Identifier: MIT
#include "speech/synthesizer.h"

#include <QtTest>

#include <cmath>
#include <numbers>
#include <thread>

using namespace voxtrack;

namespace {

QByteArray tone(double frequency, int rate, double seconds)
{
    const int count = int(rate * seconds);
    QByteArray pcm(count * 2, Qt::Uninitialized);
    for (int i = 0; i < count; ++i) {
        const auto sample = qint16(std::lround(10000 * std::sin(2 * std::numbers::pi * frequency * i / rate)));
        pcm[2 * i] = char(quint16(sample) & 0xff);
        pcm[2 * i + 1] = char(quint16(sample) >> 8);
    }
    return pcm;
}

/// The root mean square of the samples, leaving out the filter's edges.
double rms(const QByteArray& pcm)
{
    const qsizetype count = pcm.size() / 2;
    double sum = 0;
    qsizetype used = 0;
    for (qsizetype i = 64; i < count - 64; ++i, ++used) {
        const auto sample = qint16(quint16(quint8(pcm[2 * i]) | (quint8(pcm[2 * i + 1]) << 8)));
        sum += double(sample) * sample;
    }
    return used > 0 ? std::sqrt(sum / double(used)) : 0;
}

} // namespace

class TestSynthesizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void speaksAt16kHz()
    {
        const auto pcm = speech::synthesize(QStringLiteral("What is the price of Tesla?"));
        QVERIFY2(pcm, qPrintable(pcm.errorText()));
        QCOMPARE(pcm->size() % 2, 0);
        const double seconds = speech::durationSeconds(pcm->size());
        QVERIFY2(seconds > 1.0 && seconds < 4.0, qPrintable(QString::number(seconds)));
        QVERIFY(rms(*pcm) > 100); // not silence
    }

    void fasterIsShorter()
    {
        const QString text = QStringLiteral("What is the price of Apple today?");
        const auto slow = speech::synthesize(text, {QStringLiteral("en-us"), 120});
        const auto fast = speech::synthesize(text, {QStringLiteral("en-us"), 300});
        QVERIFY2(slow, qPrintable(slow.errorText()));
        QVERIFY2(fast, qPrintable(fast.errorText()));
        QVERIFY2(fast->size() < slow->size() * 3 / 4,
            qPrintable(QStringLiteral("%1 vs %2 bytes").arg(fast->size()).arg(slow->size())));
    }

    void otherVoices()
    {
        for (const char* name : {"en-gb", "de"}) {
            const auto pcm = speech::synthesize(QStringLiteral("Hello"), {QString::fromLatin1(name), 175});
            QVERIFY2(pcm, qPrintable(pcm.errorText()));
            QVERIFY(!pcm->isEmpty());
        }
        const auto names = speech::voices();
        QVERIFY2(names, qPrintable(names.errorText()));
        QVERIFY(!names->isEmpty());
    }

    void errors()
    {
        const auto unknown = speech::synthesize(QStringLiteral("Hello"), {QStringLiteral("xx-nowhere"), 175});
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, QStringLiteral("speech.voice"));
        QVERIFY(unknown.error().message.contains(QStringLiteral("xx-nowhere")));
        QVERIFY(unknown.error().message.contains(QStringLiteral("--voices")));

        const auto empty = speech::synthesize(QStringLiteral("  "));
        QVERIFY(!empty);
        QCOMPARE(empty.error().code, QStringLiteral("speech.text"));

        const auto tooFast = speech::synthesize(QStringLiteral("Hello"), {QStringLiteral("en-us"), 1000});
        QVERIFY(!tooFast);
        QCOMPARE(tooFast.error().code, QStringLiteral("speech.rate"));

        QCOMPARE(speech::checkVoice({QStringLiteral("xx-nowhere"), 175}).code, QStringLiteral("speech.voice"));
        QCOMPARE(speech::checkVoice({QStringLiteral("en-us"), 79}).code, QStringLiteral("speech.rate"));
        QVERIFY(speech::checkVoice({QStringLiteral("en-gb"), 450}).isNull());

        // a failed voice leaves the engine usable
        QVERIFY(speech::synthesize(QStringLiteral("Hello")));
    }

    void twoThreadsAtOnce()
    {
        Expected<QByteArray> first = QByteArray();
        Expected<QByteArray> second = QByteArray();
        std::thread a([&] { first = speech::synthesize(QStringLiteral("The first thread speaks now.")); });
        std::thread b([&] {
            second = speech::synthesize(
                QStringLiteral("And the second one at the same time."), {QStringLiteral("en-gb"), 200});
        });
        a.join();
        b.join();
        QVERIFY2(first, qPrintable(first.errorText()));
        QVERIFY2(second, qPrintable(second.errorText()));
        QVERIFY(speech::durationSeconds(first->size()) > 0.5);
        QVERIFY(speech::durationSeconds(second->size()) > 0.5);
    }

    void resampling()
    {
        // 1 kHz passes at full strength, 10 kHz (above the new Nyquist frequency) is removed
        const QByteArray low = speech::resample(tone(1000, 22050, 0.5), 22050, 16000);
        QCOMPARE(low.size(), 8000 * 2);
        QVERIFY2(std::abs(rms(low) - 10000 / std::sqrt(2.0)) < 200, qPrintable(QString::number(rms(low))));
        const QByteArray high = speech::resample(tone(10000, 22050, 0.5), 22050, 16000);
        QVERIFY2(rms(high) < 300, qPrintable(QString::number(rms(high))));
        QCOMPARE(speech::resample(QByteArray(), 22050, 16000), QByteArray());
    }
};

QTEST_GUILESS_MAIN(TestSynthesizer)
#include "tst_synthesizer.moc"
