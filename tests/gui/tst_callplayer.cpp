// SPDX-License-Identifier: MIT
#include "wavserver.h"

#include "gui/callplayer.h"

#include <QAudioDevice>
#include <QMediaDevices>
#include <QSignalSpy>
#include <QTest>

using namespace voxtrack;
using voxtrack::gui::CallPlayer;
using voxtrack::test::WavServer;

namespace {

constexpr int waitMs = 10'000;

} // namespace

class TestCallPlayer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void playsTheQueueInOrder()
    {
        WavServer server;
        QVERIFY(server.isListening());
        server.putRecording(QStringLiteral("/audio/1.wav"), 1.5);
        server.putRecording(QStringLiteral("/audio/2.wav"), 0.25);
        server.putRecording(QStringLiteral("/audio/3.wav"), 2.0);
        const QList<QUrl> urls {server.url(QStringLiteral("/audio/1.wav")), server.url(QStringLiteral("/audio/2.wav")),
            server.url(QStringLiteral("/audio/3.wav"))};

        CallPlayer player;
        player.setOutput(CallPlayer::Output::Driven);
        QVERIFY(player.isAvailable());
        QVERIFY(player.unavailableReason().isEmpty());
        QSignalSpy current(&player, &CallPlayer::currentChanged);
        QSignalSpy started(&player, &CallPlayer::started);
        QSignalSpy finished(&player, &CallPlayer::finished);
        QSignalSpy errors(&player, &CallPlayer::errorOccurred);

        player.play(urls);
        QCOMPARE(player.queue(), urls);
        QCOMPARE(player.currentIndex(), 0);
        QCOMPARE(player.currentUrl(), urls.at(0));
        QVERIFY(player.isActive());
        QVERIFY(!player.isPlaying()); // still being fetched
        QCOMPARE(current.size(), 1);
        QCOMPARE(current.at(0).at(0).toInt(), 0);
        QCOMPARE(current.at(0).at(1).toUrl(), urls.at(0));

        // Fetched and checked: playing, its length read from the WAV header.
        QVERIFY(started.wait(waitMs));
        QVERIFY(player.isPlaying());
        QCOMPARE(started.at(0).at(0).toInt(), 0);
        QCOMPARE(started.at(0).at(1).toLongLong(), 1500);
        QCOMPARE(player.duration(), 1500);
        QSignalSpy position(&player, &CallPlayer::positionChanged);
        player.setPosition(600);
        QCOMPARE(position.size(), 1);
        QCOMPARE(position.at(0).at(0).toLongLong(), 600);
        QCOMPARE(position.at(0).at(1).toLongLong(), 1500);

        // The end of each recording takes the next one.
        player.finishCurrent();
        QCOMPARE(player.currentIndex(), 1);
        QCOMPARE(player.currentUrl(), urls.at(1));
        QCOMPARE(player.position(), 0);
        QVERIFY(started.wait(waitMs));
        QCOMPARE(started.at(1).at(1).toLongLong(), 250);
        player.finishCurrent();
        QVERIFY(started.wait(waitMs));
        QCOMPARE(player.currentIndex(), 2);
        QCOMPARE(player.duration(), 2000);
        QVERIFY(finished.isEmpty());

        // After the last: stopped, and finished.
        player.finishCurrent();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(player.currentIndex(), -1);
        QVERIFY(!player.isActive());
        QVERIFY(player.queue().isEmpty());
        QCOMPARE(current.constLast().at(0).toInt(), -1);
        QVERIFY(errors.isEmpty());
        QCOMPARE(server.requests(), 3);
    }

    void stopAndNextLeaveAFetchBehind()
    {
        WavServer server;
        server.putRecording(QStringLiteral("/audio/1.wav"), 1.0);
        server.putRecording(QStringLiteral("/audio/2.wav"), 1.0);
        CallPlayer player;
        player.setOutput(CallPlayer::Output::Driven);
        QSignalSpy started(&player, &CallPlayer::started);
        QSignalSpy errors(&player, &CallPlayer::errorOccurred);

        // Next while the first is still being fetched: the second one plays.
        player.play({server.url(QStringLiteral("/audio/1.wav")), server.url(QStringLiteral("/audio/2.wav"))});
        player.next();
        QCOMPARE(player.currentIndex(), 1);
        QVERIFY(started.wait(waitMs));
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.at(0).at(0).toInt(), 1);

        // Stop: nothing is current, and the answer for what was stopped changes nothing: the
        // next recording played is the only one that starts.
        server.putRecording(QStringLiteral("/audio/short.wav"), 0.5);
        player.play({server.url(QStringLiteral("/audio/1.wav"))});
        player.stop();
        QVERIFY(!player.isActive());
        QCOMPARE(player.currentIndex(), -1);
        player.play({server.url(QStringLiteral("/audio/short.wav"))});
        QVERIFY(started.wait(waitMs));
        QCOMPARE(started.size(), 2);
        QCOMPARE(started.at(1).at(1).toLongLong(), 500);
        QCOMPARE(player.currentUrl(), server.url(QStringLiteral("/audio/short.wav")));
        player.stop();
        QVERIFY(errors.isEmpty());

        // An empty queue is a stop.
        player.play({});
        QVERIFY(!player.isActive());
    }

    void errorsEndInOneSentence_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected");
        QTest::addRow("missing") << QStringLiteral("/audio/gone.wav")
                                 << QStringLiteral("There is no recording at %1 (HTTP 404): check that the app is "
                                                   "connected to the server that recorded this call.");
        QTest::addRow("not a wav") << QStringLiteral("/audio/text.wav")
                                   << QStringLiteral("The recording at %1 is not a WAV file: check that the message's "
                                                     "audio_url points at voxtrackd's /audio/ path.");
    }

    void errorsEndInOneSentence()
    {
        QFETCH(QString, path);
        QFETCH(QString, expected);
        WavServer server;
        server.put(QStringLiteral("/audio/text.wav"), QByteArrayLiteral("<html>Not audio</html>"), "text/html");
        server.putRecording(QStringLiteral("/audio/2.wav"), 1.0);
        CallPlayer player;
        player.setOutput(CallPlayer::Output::Driven);
        QSignalSpy errors(&player, &CallPlayer::errorOccurred);
        QSignalSpy started(&player, &CallPlayer::started);

        // The failing recording stops the whole call: the next one is not played.
        player.play({server.url(path), server.url(QStringLiteral("/audio/2.wav"))});
        QVERIFY(errors.wait(waitMs));
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).at(0).toString(), expected.arg(server.url(path).toDisplayString()));
        QVERIFY(!player.isActive());
        QVERIFY(started.isEmpty());
    }

    void aRefusedConnectionAndAMediaFailureSaySo()
    {
        // A port nobody listens on: the server that recorded the call is not running.
        quint16 port = 0;
        {
            QTcpServer closed;
            QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
            port = closed.serverPort();
        }
        CallPlayer player;
        player.setOutput(CallPlayer::Output::Driven);
        QSignalSpy errors(&player, &CallPlayer::errorOccurred);
        const QUrl url(QStringLiteral("http://127.0.0.1:%1/audio/1.wav").arg(port));
        player.play({url});
        QVERIFY(errors.wait(waitMs));
        const QString refused = errors.at(0).at(0).toString();
        QVERIFY2(
            refused.startsWith(QStringLiteral("The recording at %1 could not be fetched (").arg(url.toDisplayString())),
            qPrintable(refused));
        QVERIFY(refused.endsWith(QStringLiteral("): check that voxtrackd is running and try again.")));

        // Not a URL at all.
        player.play({QUrl(QStringLiteral("not a url"))});
        QCOMPARE(errors.size(), 2);
        QVERIFY(errors.at(1).at(0).toString().endsWith(
            QStringLiteral("it should be like http://host:port/audio/<id>.wav.")));

        // The media backend failing while playing: stopped, with the reason.
        WavServer server;
        server.putRecording(QStringLiteral("/audio/1.wav"), 1.0);
        QSignalSpy started(&player, &CallPlayer::started);
        player.play({server.url(QStringLiteral("/audio/1.wav"))});
        QVERIFY(started.wait(waitMs));
        player.failCurrent(QStringLiteral("the device went away"));
        QCOMPARE(errors.size(), 3);
        QCOMPARE(errors.at(2).at(0).toString(),
            QStringLiteral("The recording at %1 could not be played (the device went away): check the system's sound "
                           "settings and try again.")
                .arg(server.url(QStringLiteral("/audio/1.wav")).toDisplayString()));
        QVERIFY(!player.isActive());
    }

    void speakersNeedAnAudioOutput()
    {
        CallPlayer player;
        QCOMPARE(player.output(), CallPlayer::Output::Speakers);
        const bool devices = !QMediaDevices::audioOutputs().isEmpty();
        QCOMPARE(player.isAvailable(), devices);
        QCOMPARE(player.unavailableReason().isEmpty(), devices);
        QSignalSpy availability(&player, &CallPlayer::availabilityChanged);
        player.setOutput(CallPlayer::Output::Driven);
        QVERIFY(player.isAvailable());
        QCOMPARE(availability.size(), devices ? 0 : 1);
        player.setOutput(CallPlayer::Output::Speakers);
        QCOMPARE(availability.size(), devices ? 0 : 2);
        if (!devices) {
            // Nothing to play on: the controls' owner is told why, and nothing is fetched.
            QCOMPARE(player.unavailableReason(),
                QStringLiteral("There is no audio output device: connect speakers or headphones to play recordings."));
            QSignalSpy errors(&player, &CallPlayer::errorOccurred);
            player.play({QUrl(QStringLiteral("http://127.0.0.1:1/audio/1.wav"))});
            QCOMPARE(errors.size(), 1);
            QCOMPARE(errors.at(0).at(0).toString(), player.unavailableReason());
            QVERIFY(!player.isActive());
        }
    }
};

QTEST_GUILESS_MAIN(TestCallPlayer)
#include "tst_callplayer.moc"
