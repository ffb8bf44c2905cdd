<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>ActivityPane</name>
    <message>
        <source>Keep the newest line in view</source>
        <translation>Die neueste Zeile im Blick behalten</translation>
    </message>
    <message>
        <source>&amp;Follow</source>
        <translation>&amp;Mitlaufen</translation>
    </message>
    <message>
        <source>Show only what should not be in the database, such as a role the schema does not allow</source>
        <translation>Nur zeigen, was nicht in der Datenbank stehen sollte, etwa eine Rolle, die das Schema nicht zulässt</translation>
    </message>
    <message>
        <source>&amp;Problems only</source>
        <translation>Nur &amp;Probleme</translation>
    </message>
    <message>
        <source>Remove every line (the database is not touched)</source>
        <translation>Alle Zeilen entfernen (die Datenbank bleibt unberührt)</translation>
    </message>
    <message>
        <source>C&amp;lear</source>
        <translation>&amp;Leeren</translation>
    </message>
    <message>
        <source>Double-click a line to open its conversation</source>
        <translation>Doppelklick auf eine Zeile öffnet ihr Gespräch</translation>
    </message>
</context>
<context>
    <name>ConnectionBar</name>
    <message>
        <source>Pr&amp;ofile:</source>
        <translation>Pr&amp;ofil:</translation>
    </message>
    <message>
        <source>Saved connections: choose one to fill the fields, or type a name to save the fields under</source>
        <translation>Gespeicherte Verbindungen: eine auswählen, um die Felder zu füllen, oder einen Namen eingeben, unter dem die Felder gespeichert werden</translation>
    </message>
    <message>
        <source>Save the URLs under the profile name; the password goes to the system keychain</source>
        <translation>Die URLs unter dem Profilnamen speichern; das Passwort kommt in den Schlüsselbund des Systems</translation>
    </message>
    <message>
        <source>S&amp;ave profile</source>
        <translation>Profil &amp;speichern</translation>
    </message>
    <message>
        <source>Delete this profile and its saved password</source>
        <translation>Dieses Profil und sein gespeichertes Passwort löschen</translation>
    </message>
    <message>
        <source>De&amp;lete profile</source>
        <translation>Profil &amp;löschen</translation>
    </message>
    <message>
        <source>Server &amp;URL:</source>
        <translation>Server-&amp;URL:</translation>
    </message>
    <message>
        <source>The voxtrackd conversation endpoint, ws://host:port/v1/conversation or http://host:port; leave it empty to work with the database alone</source>
        <translation>Der Gesprächs-Endpunkt von voxtrackd, ws://host:port/v1/conversation oder http://host:port; leer lassen, um nur mit der Datenbank zu arbeiten</translation>
    </message>
    <message>
        <source>ws://127.0.0.1:8787/v1/conversation (optional)</source>
        <translation>ws://127.0.0.1:8787/v1/conversation (optional)</translation>
    </message>
    <message>
        <source>Connect to the server and the database in the fields (Return in a URL field)</source>
        <translation>Mit dem Server und der Datenbank aus den Feldern verbinden (Eingabetaste in einem URL-Feld)</translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation>&amp;Verbinden</translation>
    </message>
    <message>
        <source>Data&amp;base URL:</source>
        <translation>Daten&amp;bank-URL:</translation>
    </message>
    <message>
        <source>The database with the conversation tables: postgresql://user@host:5432/database or sqlite:///path/to/file.db</source>
        <translation>Die Datenbank mit den Gesprächstabellen: postgresql://user@host:5432/database oder sqlite:///path/to/file.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database or sqlite:///path.db</source>
        <translation>postgresql://user@host:5432/database oder sqlite:///path.db</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Pass&amp;wort:</translation>
    </message>
    <message>
        <source>The PostgreSQL password; left empty, PGPASSWORD or ~/.pgpass is used</source>
        <translation>Das PostgreSQL-Passwort; bleibt es leer, wird PGPASSWORD oder ~/.pgpass verwendet</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <source>Let go of the server and the database</source>
        <translation>Server und Datenbank freigeben</translation>
    </message>
    <message>
        <source>D&amp;isconnect</source>
        <translation>&amp;Trennen</translation>
    </message>
</context>
<context>
    <name>ConversationPage</name>
    <message>
        <source>Select a session on the Sessions tab.</source>
        <translation>Wählen Sie auf der Registerkarte „Sitzungen“ eine Sitzung aus.</translation>
    </message>
    <message>
        <source>Session:</source>
        <translation>Sitzung:</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>Status:</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Benutzer:</translation>
    </message>
    <message>
        <source>Messages:</source>
        <translation>Nachrichten:</translation>
    </message>
    <message>
        <source>Started:</source>
        <translation>Begonnen:</translation>
    </message>
    <message>
        <source>Ended:</source>
        <translation>Beendet:</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>Dauer:</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Sitzungsmetadaten</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Zeitraum:</translation>
    </message>
    <message>
        <source>Sessions started and messages created in this period</source>
        <translation>In diesem Zeitraum begonnene Sitzungen und erstellte Nachrichten</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Letzte Stunde</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>Letzte 24 Stunden</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Letzte 7 Tage</translation>
    </message>
    <message>
        <source>All time</source>
        <translation>Gesamter Zeitraum</translation>
    </message>
    <message>
        <source>&amp;Bucket:</source>
        <translation>&amp;Intervall:</translation>
    </message>
    <message>
        <source>The width of each point of the sessions chart; Auto picks one that fits the range</source>
        <translation>Die Breite jedes Punkts im Sitzungsdiagramm; „Automatisch“ wählt eine, die zum Zeitraum passt</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>Automatisch</translation>
    </message>
    <message>
        <source>Minute</source>
        <translation>Minute</translation>
    </message>
    <message>
        <source>Hour</source>
        <translation>Stunde</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Tag</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Woche</translation>
    </message>
    <message>
        <source>Compute the statistics again (F5)</source>
        <translation>Die Statistiken neu berechnen (F5)</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Follow the database: the charts update when sessions and messages are written (at most every 2 seconds)</source>
        <translation>Der Datenbank folgen: Die Diagramme werden aktualisiert, wenn Sitzungen und Nachrichten geschrieben werden (höchstens alle 2 Sekunden)</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>&amp;Live</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Keine Datenbank</translation>
    </message>
    <message>
        <source>The role check allows only user, agent and system: the Health page lists these messages</source>
        <translation>Die Rollenprüfung erlaubt nur user, agent und system: Die Seite „Zustand“ listet diese Nachrichten auf</translation>
    </message>
</context>
<context>
    <name>HealthPage</name>
    <message>
        <source>&amp;Database:</source>
        <translation>&amp;Datenbank:</translation>
    </message>
    <message>
        <source>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db or sqlite:relative.db</source>
        <translation>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db oder sqlite:relative.db</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/db or sqlite:///path/to/file.db</source>
        <translation>postgresql://user@host:5432/db oder sqlite:///path/to/file.db</translation>
    </message>
    <message>
        <source>Check the database, read-only (F5)</source>
        <translation>Die Datenbank prüfen, nur lesend (F5)</translation>
    </message>
    <message>
        <source>&amp;Run doctor</source>
        <translation>Doctor &amp;ausführen</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
    <message>
        <source>Run the doctor to check the database.</source>
        <translation>Führen Sie den Doctor aus, um die Datenbank zu prüfen.</translation>
    </message>
    <message>
        <source>Select a check to see its samples and hint.</source>
        <translation>Wählen Sie eine Prüfung aus, um ihre Beispiele und ihren Hinweis zu sehen.</translation>
    </message>
</context>
<context>
    <name>LoadPanel</name>
    <message>
        <source>Load test</source>
        <translation>Lasttest</translation>
    </message>
    <message>
        <source>S&amp;cenario:</source>
        <translation>S&amp;zenario:</translation>
    </message>
    <message>
        <source>The conversations to run: a built-in scenario or one opened from a file</source>
        <translation>Die auszuführenden Gespräche: ein eingebautes Szenario oder eines aus einer Datei</translation>
    </message>
    <message>
        <source>Open a scenario file (JSON, described in docs/scenarios.md)</source>
        <translation>Eine Szenariodatei öffnen (JSON, beschrieben in docs/scenarios.md)</translation>
    </message>
    <message>
        <source>&amp;Open file…</source>
        <translation>Datei ö&amp;ffnen …</translation>
    </message>
    <message>
        <source>&amp;Sessions:</source>
        <translation>&amp;Sitzungen:</translation>
    </message>
    <message>
        <source>How many conversations the run holds in all</source>
        <translation>Wie viele Gespräche der Lauf insgesamt umfasst</translation>
    </message>
    <message>
        <source>Co&amp;ncurrency:</source>
        <translation>Paralle&amp;lität:</translation>
    </message>
    <message>
        <source>At most this many conversations at once (never more than the sessions)</source>
        <translation>Höchstens so viele Gespräche gleichzeitig (nie mehr als Sitzungen)</translation>
    </message>
    <message>
        <source>&amp;Arrivals:</source>
        <translation>&amp;Ankunftsrate:</translation>
    </message>
    <message>
        <source>Conversations started per second; 0 starts each one as soon as the concurrency allows</source>
        <translation>Pro Sekunde begonnene Gespräche; bei 0 beginnt jedes, sobald die Parallelität es zulässt</translation>
    </message>
    <message>
        <source> /s</source>
        <translation> /s</translation>
    </message>
    <message>
        <source>As fast as possible</source>
        <translation>So schnell wie möglich</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database (needs a database)</source>
        <translation>Nach jeder Sitzung das Gesagte mit der Datenbank abgleichen (erfordert eine Datenbank)</translation>
    </message>
    <message>
        <source>&amp;Verify the database</source>
        <translation>Datenbank &amp;verifizieren</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppen</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m Sitzungen</translation>
    </message>
    <message>
        <source>The summary of a run appears here when it is over.</source>
        <translation>Die Zusammenfassung eines Laufs erscheint hier, wenn er beendet ist.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <source>&amp;About Voxtrack</source>
        <translation>&amp;Über Voxtrack</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation>&amp;Verbinden …</translation>
    </message>
    <message>
        <source>Go to the connection bar to connect to a server and a database</source>
        <translation>Zur Verbindungsleiste wechseln, um sich mit einem Server und einer Datenbank zu verbinden</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>&amp;Disconnect</source>
        <translation>&amp;Trennen</translation>
    </message>
    <message>
        <source>Close the connections to the server and the database</source>
        <translation>Die Verbindungen zum Server und zur Datenbank schließen</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen …</translation>
    </message>
    <message>
        <source>Language and other preferences</source>
        <translation>Sprache und weitere Einstellungen</translation>
    </message>
    <message>
        <source>Ctrl+,</source>
        <translation>Ctrl+,</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulator</translation>
    </message>
    <message>
        <source>Ctrl+1</source>
        <translation>Ctrl+1</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sitzungen</translation>
    </message>
    <message>
        <source>Ctrl+2</source>
        <translation>Ctrl+2</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Gespräch</translation>
    </message>
    <message>
        <source>Ctrl+3</source>
        <translation>Ctrl+3</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Dashboard</translation>
    </message>
    <message>
        <source>Ctrl+4</source>
        <translation>Ctrl+4</translation>
    </message>
    <message>
        <source>&amp;Health</source>
        <translation>&amp;Zustand</translation>
    </message>
    <message>
        <source>Ctrl+5</source>
        <translation>Ctrl+5</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Read the current page again from the database</source>
        <translation>Die aktuelle Seite erneut aus der Datenbank lesen</translation>
    </message>
    <message>
        <source>F5</source>
        <translation>F5</translation>
    </message>
</context>
<context>
    <name>QCoreApplication</name>
    <message>
        <source>The audio of the message %1 is not a valid WAV file: %2</source>
        <translation>Das Audio der Nachricht %1 ist keine gültige WAV-Datei: %2</translation>
    </message>
</context>
<context>
    <name>SessionsPage</name>
    <message>
        <source>Only this user&apos;s sessions</source>
        <translation>Nur die Sitzungen dieses Benutzers</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Active or ended sessions</source>
        <translation>Aktive oder beendete Sitzungen</translation>
    </message>
    <message>
        <source>All sessions</source>
        <translation>Alle Sitzungen</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Sessions with a message containing this text (any case)</source>
        <translation>Sitzungen mit einer Nachricht, die diesen Text enthält (ohne Beachtung der Groß-/Kleinschreibung)</translation>
    </message>
    <message>
        <source>Text in a message</source>
        <translation>Text in einer Nachricht</translation>
    </message>
    <message>
        <source>Sessions whose metadata has this key with this value, written key=value</source>
        <translation>Sitzungen, deren Metadaten diesen Schlüssel mit diesem Wert haben, geschrieben als key=value</translation>
    </message>
    <message>
        <source>key=value in metadata</source>
        <translation>key=value in den Metadaten</translation>
    </message>
    <message>
        <source>Follow the database: new sessions appear, ended ones change</source>
        <translation>Der Datenbank folgen: Neue Sitzungen erscheinen, beendete ändern sich</translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation>&amp;Live</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Sprache:</translation>
    </message>
    <message>
        <source>Voxtrack uses the new language when it starts next.</source>
        <translation>Voxtrack verwendet die neue Sprache beim nächsten Start.</translation>
    </message>
    <message>
        <source>Ask before &amp;quitting while a load run is going</source>
        <translation>Vor dem &amp;Beenden während eines laufenden Lasttests nachfragen</translation>
    </message>
</context>
<context>
    <name>SimulatorPage</name>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;Benutzer:</translation>
    </message>
    <message>
        <source>The user the server records the session for (sent as user_id)</source>
        <translation>Der Benutzer, für den der Server die Sitzung aufzeichnet (gesendet als user_id)</translation>
    </message>
    <message>
        <source>&amp;Start session</source>
        <translation>Sitzung &amp;starten</translation>
    </message>
    <message>
        <source>&amp;End session</source>
        <translation>Sitzung &amp;beenden</translation>
    </message>
    <message>
        <source>What the user says…</source>
        <translation>Was der Benutzer sagt …</translation>
    </message>
    <message>
        <source>&amp;Phrases</source>
        <translation>&amp;Phrasen</translation>
    </message>
    <message>
        <source>Typical things a caller says</source>
        <translation>Typische Äußerungen eines Anrufers</translation>
    </message>
    <message>
        <source>Se&amp;nd</source>
        <translation>Se&amp;nden</translation>
    </message>
    <message>
        <source>Send each utterance as speech: synthesized with espeak-ng and streamed as 16 kHz audio in real time, with its text as the transcript</source>
        <translation>Jede Äußerung als Sprache senden: mit espeak-ng synthetisiert und in Echtzeit als 16-kHz-Audio gestreamt, mit dem Text als Transkript</translation>
    </message>
    <message>
        <source>S&amp;poken</source>
        <translation>Ge&amp;sprochen</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Die Sprache beim Senden auch auf diesem Computer abspielen</translation>
    </message>
    <message>
        <source>Al&amp;oud</source>
        <translation>&amp;Hörbar</translation>
    </message>
</context>
<context>
    <name>voxtrack::DatabaseUrl</name>
    <message>
        <source>The port &quot;%1&quot; in the database URL is not a number from 1 to 65535: fix the port, or leave it out to use 5432.</source>
        <translation>Der Port &quot;%1&quot; in der Datenbank-URL ist keine Zahl von 1 bis 65535: Korrigieren Sie den Port oder lassen Sie ihn weg, um 5432 zu verwenden.</translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database (or postgres://…), sqlite::memory:, sqlite:relative/path.db or sqlite:///absolute/path.db</source>
        <translation>postgresql://user@host:5432/database (oder postgres://…), sqlite::memory:, sqlite:relative/path.db oder sqlite:///absolute/path.db</translation>
    </message>
    <message>
        <source>the user name</source>
        <translation>dem Benutzernamen</translation>
    </message>
    <message>
        <source>the password</source>
        <translation>dem Passwort</translation>
    </message>
    <message>
        <source>the host</source>
        <translation>dem Host</translation>
    </message>
    <message>
        <source>the database name</source>
        <translation>dem Datenbanknamen</translation>
    </message>
    <message>
        <source>an option name</source>
        <translation>einem Optionsnamen</translation>
    </message>
    <message>
        <source>the value of the option &quot;%1&quot;</source>
        <translation>dem Wert der Option &quot;%1&quot;</translation>
    </message>
    <message>
        <source>the SQLite file path</source>
        <translation>dem SQLite-Dateipfad</translation>
    </message>
    <message>
        <source>a space</source>
        <translation>ein Leerzeichen</translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation>das Steuerzeichen U+%1</translation>
    </message>
    <message>
        <source>The database URL has %1 in %2, which must be percent-encoded: write it as %3.</source>
        <translation>Die Datenbank-URL enthält %1 in %2, das prozentkodiert werden muss: Schreiben Sie es als %3.</translation>
    </message>
    <message>
        <source>The database URL has a malformed percent-escape in the password: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>Die Datenbank-URL enthält im Passwort eine fehlerhafte Prozent-Kodierung: Auf ein % müssen zwei Hexadezimalziffern folgen, schreiben Sie ein wörtliches % also als %25.</translation>
    </message>
    <message>
        <source>The database URL has the malformed percent-escape &quot;%1&quot; in %2: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation>Die Datenbank-URL enthält die fehlerhafte Prozent-Kodierung &quot;%1&quot; in %2: Auf ein % müssen zwei Hexadezimalziffern folgen, schreiben Sie ein wörtliches % also als %25.</translation>
    </message>
    <message>
        <source>The database URL has an encoded NUL character (%2) in %1, which a database cannot use: remove it.</source>
        <translation>Die Datenbank-URL enthält ein kodiertes NUL-Zeichen (%2) in %1, das eine Datenbank nicht verwenden kann: Entfernen Sie es.</translation>
    </message>
    <message>
        <source>The database URL has percent-escapes in %1 that are not UTF-8 text: encode other characters as UTF-8 bytes (é is %C3%A9).</source>
        <translation>Die Datenbank-URL enthält in %1 Prozent-Kodierungen, die kein UTF-8-Text sind: Kodieren Sie andere Zeichen als UTF-8-Bytes (é ist %C3%A9).</translation>
    </message>
    <message>
        <source>The IPv6 address &quot;%1&quot; in the database URL is not valid: write hexadecimal groups separated by colons, as in [::1] or [2001:db8::5].</source>
        <translation>Die IPv6-Adresse &quot;%1&quot; in der Datenbank-URL ist ungültig: Schreiben Sie durch Doppelpunkte getrennte Hexadezimalgruppen, wie in [::1] oder [2001:db8::5].</translation>
    </message>
    <message>
        <source>The database URL lists several hosts (&quot;%1&quot;), which is not supported: give a single host.</source>
        <translation>Die Datenbank-URL nennt mehrere Hosts (&quot;%1&quot;), was nicht unterstützt wird: Geben Sie einen einzigen Host an.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL is not a valid host name: give a host name, an IPv4 address, an IPv6 address in brackets such as [::1], or a socket directory as ?host=/var/run/postgresql.</source>
        <translation>Der Host &quot;%1&quot; in der Datenbank-URL ist kein gültiger Hostname: Geben Sie einen Hostnamen, eine IPv4-Adresse, eine IPv6-Adresse in eckigen Klammern wie [::1] oder ein Socket-Verzeichnis als ?host=/var/run/postgresql an.</translation>
    </message>
    <message>
        <source>The sslmode &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>Der sslmode &quot;%1&quot; in der Datenbank-URL ist ungültig: Verwenden Sie einen von %2.</translation>
    </message>
    <message>
        <source>The target_session_attrs &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation>Das target_session_attrs &quot;%1&quot; in der Datenbank-URL ist ungültig: Verwenden Sie eines von %2.</translation>
    </message>
    <message>
        <source>The %1 &quot;%2&quot; in the database URL is not a whole number of seconds: give a number such as 10, or leave the option out.</source>
        <translation>Der Wert &quot;%2&quot; für %1 in der Datenbank-URL ist keine ganze Zahl von Sekunden: Geben Sie eine Zahl wie 10 an oder lassen Sie die Option weg.</translation>
    </message>
    <message>
        <source>The keepalives &quot;%1&quot; in the database URL is not valid: use 1 to turn TCP keepalives on or 0 to turn them off.</source>
        <translation>Der keepalives-Wert &quot;%1&quot; in der Datenbank-URL ist ungültig: Verwenden Sie 1, um TCP-Keepalives einzuschalten, oder 0, um sie auszuschalten.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL has no value: write it as %1=value.</source>
        <translation>Die Option &quot;%1&quot; in der Datenbank-URL hat keinen Wert: Schreiben Sie sie als %1=value.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; appears more than once in the database URL: keep only one.</source>
        <translation>Die Option &quot;%1&quot; kommt mehr als einmal in der Datenbank-URL vor: Behalten Sie nur eine.</translation>
    </message>
    <message>
        <source>The database URL scheme &quot;%1&quot; is not supported: use %2.</source>
        <translation>Das Datenbank-URL-Schema &quot;%1&quot; wird nicht unterstützt: Verwenden Sie %2.</translation>
    </message>
    <message>
        <source>The database URL has no scheme: start it with postgresql://, as in postgresql://user@host:5432/database.</source>
        <translation>Die Datenbank-URL hat kein Schema: Beginnen Sie sie mit postgresql://, wie in postgresql://user@host:5432/database.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a file path, not a database URL: write %2 to use it as an SQLite database.</source>
        <translation>&quot;%1&quot; ist ein Dateipfad, keine Datenbank-URL: Schreiben Sie %2, um ihn als SQLite-Datenbank zu verwenden.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a database URL: use %2.</source>
        <translation>&quot;%1&quot; ist keine Datenbank-URL: Verwenden Sie %2.</translation>
    </message>
    <message>
        <source>The SQLite URL names the host &quot;%1&quot;, but an SQLite database is a local file: use three slashes for an absolute path (sqlite:///%2) or none for a relative one (sqlite:%2).</source>
        <translation>Die SQLite-URL nennt den Host &quot;%1&quot;, aber eine SQLite-Datenbank ist eine lokale Datei: Verwenden Sie drei Schrägstriche für einen absoluten Pfad (sqlite:///%2) oder keinen für einen relativen (sqlite:%2).</translation>
    </message>
    <message>
        <source>The SQLite URL has no file path: write sqlite:///absolute/path.db, sqlite:relative/path.db, or sqlite::memory: for an in-memory database.</source>
        <translation>Die SQLite-URL hat keinen Dateipfad: Schreiben Sie sqlite:///absolute/path.db, sqlite:relative/path.db oder sqlite::memory: für eine Datenbank im Arbeitsspeicher.</translation>
    </message>
    <message>
        <source>The SQLite path &quot;%1&quot; ends with &quot;/&quot;, so it names a directory: add the file name, as in %1voxtrack.db.</source>
        <translation>Der SQLite-Pfad &quot;%1&quot; endet mit &quot;/&quot; und bezeichnet daher ein Verzeichnis: Fügen Sie den Dateinamen hinzu, wie in %1voxtrack.db.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported for SQLite: the only option is mode (ro, rw or rwc).</source>
        <translation>Die Option &quot;%1&quot; in der Datenbank-URL wird für SQLite nicht unterstützt: Die einzige Option ist mode (ro, rw oder rwc).</translation>
    </message>
    <message>
        <source>The SQLite mode &quot;%1&quot; in the database URL is not valid: use ro (read-only), rw (read-write) or rwc (read-write, created if missing).</source>
        <translation>Der SQLite-Modus &quot;%1&quot; in der Datenbank-URL ist ungültig: Verwenden Sie ro (nur lesen), rw (lesen und schreiben) oder rwc (lesen und schreiben, wird bei Bedarf erstellt).</translation>
    </message>
    <message>
        <source>The database URL is empty: give one such as postgresql://user@host/database or sqlite:///path/to/file.db.</source>
        <translation>Die Datenbank-URL ist leer: Geben Sie eine an, etwa postgresql://user@host/database oder sqlite:///path/to/file.db.</translation>
    </message>
    <message>
        <source>The database URL must continue with &quot;//&quot; after &quot;%1:&quot;: write %1://host/database, or %1:///database for the local socket.</source>
        <translation>Die Datenbank-URL muss nach &quot;%1:&quot; mit &quot;//&quot; weitergehen: Schreiben Sie %1://host/database oder %1:///database für den lokalen Socket.</translation>
    </message>
    <message>
        <source>The database URL has an &quot;@&quot; after the host, which usually means the user name or password contains &quot;/&quot; or &quot;?&quot;: percent-encode them as %2F and %3F.</source>
        <translation>Die Datenbank-URL enthält ein &quot;@&quot; nach dem Host, was meist bedeutet, dass der Benutzername oder das Passwort &quot;/&quot; oder &quot;?&quot; enthält: Kodieren Sie diese prozentual als %2F und %3F.</translation>
    </message>
    <message>
        <source>The database URL has more than one &quot;@&quot; before the host: if the user name or password contains &quot;@&quot;, write it as %40.</source>
        <translation>Die Datenbank-URL enthält vor dem Host mehr als ein &quot;@&quot;: Wenn der Benutzername oder das Passwort &quot;@&quot; enthält, schreiben Sie es als %40.</translation>
    </message>
    <message>
        <source>The database URL opens an IPv6 address with &quot;[&quot; but never closes it: add the &quot;]&quot;, as in postgresql://[::1]:5432/database.</source>
        <translation>Die Datenbank-URL öffnet eine IPv6-Adresse mit &quot;[&quot;, schließt sie aber nie: Fügen Sie die &quot;]&quot; hinzu, wie in postgresql://[::1]:5432/database.</translation>
    </message>
    <message>
        <source>The database URL has &quot;%1&quot; after the IPv6 address [%2]: only a port may follow it, as in [%2]:5432.</source>
        <translation>Die Datenbank-URL enthält &quot;%1&quot; nach der IPv6-Adresse [%2]: Darauf darf nur ein Port folgen, wie in [%2]:5432.</translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL has more than one &quot;:&quot;: put an IPv6 address in brackets, as in postgresql://[::1]:5432/database.</source>
        <translation>Der Host &quot;%1&quot; in der Datenbank-URL enthält mehr als einen &quot;:&quot;: Setzen Sie eine IPv6-Adresse in eckige Klammern, wie in postgresql://[::1]:5432/database.</translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; in the database URL contains &quot;/&quot;: give a single name after the host, writing a slash that belongs to the name as %2F.</source>
        <translation>Der Datenbankname &quot;%1&quot; in der Datenbank-URL enthält &quot;/&quot;: Geben Sie nach dem Host einen einzigen Namen an und schreiben Sie einen Schrägstrich, der zum Namen gehört, als %2F.</translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported: use one of %2.</source>
        <translation>Die Option &quot;%1&quot; in der Datenbank-URL wird nicht unterstützt: Verwenden Sie eine von %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::EndReason</name>
    <message>
        <source>The end reason &quot;%1&quot; is not known: use one of %2.</source>
        <translation>Der Beendigungsgrund &quot;%1&quot; ist unbekannt: Verwenden Sie einen von %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::Role</name>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use &quot;agent&quot; for the agent&apos;s replies (allowed roles: %2).</source>
        <translation>Die Rolle &quot;%1&quot; ist nicht erlaubt: Verwenden Sie &quot;agent&quot; für die Antworten des Agenten (erlaubte Rollen: %2).</translation>
    </message>
    <message>
        <source>The role is empty: use one of %1.</source>
        <translation>Die Rolle ist leer: Verwenden Sie eine von %1.</translation>
    </message>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use one of %2.</source>
        <translation>Die Rolle &quot;%1&quot; ist nicht erlaubt: Verwenden Sie eine von %2.</translation>
    </message>
</context>
<context>
    <name>voxtrack::app</name>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help. [usage]</source>
        <translation>Unerwartetes Argument &quot;%1&quot;: siehe --help. [usage]</translation>
    </message>
    <message>
        <source>Could not write the picture to %1: check the directory exists and is writable. [screenshot.write]</source>
        <translation>Das Bild konnte nicht nach %1 geschrieben werden: Prüfen Sie, ob das Verzeichnis existiert und beschreibbar ist. [screenshot.write]</translation>
    </message>
    <message>
        <source>Monitoring and test harness for voice-agent conversation tracking: drives conversations against a server and shows what reached its PostgreSQL or SQLite database, live.</source>
        <translation>Überwachungs- und Testumgebung für die Gesprächsaufzeichnung von Voice-Agents: führt Gespräche gegen einen Server und zeigt live, was in dessen PostgreSQL- oder SQLite-Datenbank angekommen ist.</translation>
    </message>
    <message>
        <source>Run the demo: a built-in server on an SQLite database in %1, with synthetic conversations arriving at a gentle rate.</source>
        <translation>Die Demo ausführen: ein eingebauter Server auf einer SQLite-Datenbank in %1, bei dem synthetische Gespräche in gemächlichem Tempo eintreffen.</translation>
    </message>
    <message>
        <source>Database URL to connect to at start: postgresql://user@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db.</source>
        <translation>Datenbank-URL, mit der beim Start verbunden wird: postgresql://user@host:5432/db?sslmode=require, sqlite:///path.db oder sqlite:relative.db.</translation>
    </message>
    <message>
        <source>Server URL to connect to at start: ws://127.0.0.1:8787/v1/conversation.</source>
        <translation>Server-URL, mit der beim Start verbunden wird: ws://127.0.0.1:8787/v1/conversation.</translation>
    </message>
    <message>
        <source>After --wait seconds, save a PNG picture of each page into this directory, and quit.</source>
        <translation>Nach --wait Sekunden ein PNG-Bild jeder Seite in diesem Verzeichnis speichern und beenden.</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>verz</translation>
    </message>
    <message>
        <source>Seconds to let conversations arrive before --screenshots (default 10).</source>
        <translation>Sekunden, die Gespräche vor --screenshots eintreffen dürfen (Standard: 10).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>sekunden</translation>
    </message>
    <message>
        <source>--wait takes a whole number of seconds, not &quot;%1&quot;. [usage]</source>
        <translation>--wait erwartet eine ganze Zahl von Sekunden, nicht &quot;%1&quot;. [usage]</translation>
    </message>
    <message>
        <source>--demo runs its own server and database: leave out --db and --server. [usage]</source>
        <translation>--demo führt einen eigenen Server und eine eigene Datenbank aus: Lassen Sie --db und --server weg. [usage]</translation>
    </message>
    <message>
        <source>Could not create the directory %1 for the pictures. [screenshot.write]</source>
        <translation>Das Verzeichnis %1 für die Bilder konnte nicht erstellt werden. [screenshot.write]</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli</name>
    <message>
        <source>Database URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.</source>
        <translation>Datenbank-URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db oder sqlite:relative.db. Standard: $VOXTRACK_DB, sonst %1.</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Print the result as JSON for programs.</source>
        <translation>Das Ergebnis als JSON für Programme ausgeben.</translation>
    </message>
    <message>
        <source>: see --help.</source>
        <translation>: siehe --help.</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help.</source>
        <translation>Unerwartetes Argument &quot;%1&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>Creates the conversation tables, or brings them to the current schema version. An old database whose sessions are keyed by id only is upgraded: session_id is added and filled from id. Everything runs in one transaction: on failure nothing is changed.</source>
        <translation>Erstellt die Gesprächstabellen oder bringt sie auf die aktuelle Schemaversion. Eine alte Datenbank, deren Sitzungen nur über id identifiziert werden, wird aktualisiert: session_id wird hinzugefügt und aus id befüllt. Alles läuft in einer Transaktion: Bei einem Fehler wird nichts geändert.</translation>
    </message>
    <message>
        <source>%1 is at schema version %2: nothing to do.
</source>
        <translation>%1 ist auf Schemaversion %2: nichts zu tun.
</translation>
    </message>
    <message>
        <source>Upgraded the old table shape: session_id filled from id, NOT NULL and UNIQUE.
</source>
        <translation>Die alte Tabellenform wurde aktualisiert: session_id aus id befüllt, NOT NULL und UNIQUE.
</translation>
    </message>
    <message>
        <source>Migrated %1 from schema version %2 to %3 (applied: %4).
</source>
        <translation>%1 wurde von Schemaversion %2 auf %3 migriert (angewendet: %4).
</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Checks a conversation database, read-only, for the faults that break conversation tracking: a role outside user/agent/system, messages without their session, NULL session ids, sessions never ended, wrong durations and more. Exit code 0: no errors; 1: errors found; 2: could not run.</source>
        <translation>Prüft eine Gesprächsdatenbank, nur lesend, auf die Fehler, die die Gesprächsaufzeichnung stören: eine Rolle außerhalb von user/agent/system, Nachrichten ohne ihre Sitzung, NULL-Sitzungs-IDs, nie beendete Sitzungen, falsche Dauern und mehr. Exit-Code 0: keine Fehler; 1: Fehler gefunden; 2: konnte nicht ausgeführt werden.</translation>
    </message>
    <message>
        <source>An active session older than this many hours is stale (default 24).</source>
        <translation>Eine aktive Sitzung, die älter als so viele Stunden ist, gilt als verwaist (Standard: 24).</translation>
    </message>
    <message>
        <source>hours</source>
        <translation>stunden</translation>
    </message>
    <message>
        <source>Seconds two timestamps or a duration may disagree by (default 1).</source>
        <translation>Sekunden, um die zwei Zeitstempel oder eine Dauer voneinander abweichen dürfen (Standard: 1).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>sekunden</translation>
    </message>
    <message>
        <source>--stale-after takes a positive number of hours, not &quot;%1&quot;.</source>
        <translation>--stale-after erwartet eine positive Anzahl von Stunden, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>--tolerance takes a number of seconds of 0 or more, not &quot;%1&quot;.</source>
        <translation>--tolerance erwartet eine Anzahl von Sekunden von 0 oder mehr, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Create or upgrade the conversation tables</source>
        <translation>Die Gesprächstabellen erstellen oder aktualisieren</translation>
    </message>
    <message>
        <source>Check a database for conversation-tracking faults</source>
        <translation>Eine Datenbank auf Fehler bei der Gesprächsaufzeichnung prüfen</translation>
    </message>
    <message>
        <source>Usage: voxtrack-cli &lt;command&gt; [options]

The headless harness for conversation-tracking backends.

Commands:
</source>
        <translation>Aufruf: voxtrack-cli &lt;command&gt; [options]

Die Testumgebung ohne Oberfläche für Backends mit Gesprächsaufzeichnung.

Befehle:
</translation>
    </message>
    <message>
        <source>
Run voxtrack-cli &lt;command&gt; --help for a command&apos;s options.
Exit codes: 0 done, 1 errors found, 2 could not run.
</source>
        <translation>
Führen Sie voxtrack-cli &lt;command&gt; --help aus, um die Optionen eines Befehls zu sehen.
Exit-Codes: 0 erledigt, 1 Fehler gefunden, 2 konnte nicht ausgeführt werden.
</translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;: run voxtrack-cli --help for the list.</source>
        <translation>Unbekannter Befehl &quot;%1&quot;: Führen Sie voxtrack-cli --help aus, um die Liste zu sehen.</translation>
    </message>
    <message>
        <source>--user takes a user_id, not an empty string.</source>
        <translation>--user erwartet eine user_id, keine leere Zeichenkette.</translation>
    </message>
    <message>
        <source>--active and --ended exclude each other: give one of them.</source>
        <translation>--active und --ended schließen einander aus: Geben Sie eine der beiden an.</translation>
    </message>
    <message>
        <source>--since takes a time like 2h, 3d or 2025-10-18T09:30:00Z, not &quot;%1&quot;.</source>
        <translation>--since erwartet eine Zeit wie 2h, 3d oder 2025-10-18T09:30:00Z, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Lists conversation sessions, newest first, read-only: who, when, how long, how many stored messages and why it ended.</source>
        <translation>Listet Gesprächssitzungen auf, die neuesten zuerst, nur lesend: wer, wann, wie lange, wie viele gespeicherte Nachrichten und warum sie endete.</translation>
    </message>
    <message>
        <source>Show at most this many sessions (default 50).</source>
        <translation>Höchstens so viele Sitzungen anzeigen (Standard: 50).</translation>
    </message>
    <message>
        <source>n</source>
        <translation>n</translation>
    </message>
    <message>
        <source>--limit takes a whole number of 1 or more, not &quot;%1&quot;.</source>
        <translation>--limit erwartet eine ganze Zahl von 1 oder mehr, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>SESSION</source>
        <translation>SITZUNG</translation>
    </message>
    <message>
        <source>USER</source>
        <translation>BENUTZER</translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation>BEGONNEN</translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation>DAUER</translation>
    </message>
    <message>
        <source>MESSAGES</source>
        <translation>NACHRICHTEN</translation>
    </message>
    <message>
        <source>END</source>
        <translation>ENDE</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) shown (of %1 matching).
</source>
        <translation>
            <numerusform>%n Sitzung angezeigt (von %1 passenden).
</numerusform>
            <numerusform>%n Sitzungen angezeigt (von %1 passenden).
</numerusform>
        </translation>
    </message>
    <message>
        <source>Shows one session&apos;s stored messages in order (seq, then created_at), read-only.</source>
        <translation>Zeigt die gespeicherten Nachrichten einer Sitzung der Reihe nach (seq, dann created_at), nur lesend.</translation>
    </message>
    <message>
        <source>The session to show.</source>
        <translation>Die anzuzeigende Sitzung.</translation>
    </message>
    <message>
        <source>Name the session: voxtrack-cli messages SESSION_ID --db URL.</source>
        <translation>Nennen Sie die Sitzung: voxtrack-cli messages SESSION_ID --db URL.</translation>
    </message>
    <message>
        <source>The session %1 has no stored messages.
</source>
        <translation>Die Sitzung %1 hat keine gespeicherten Nachrichten.
</translation>
    </message>
    <message>
        <source>SEQ</source>
        <translation>SEQ</translation>
    </message>
    <message>
        <source>TIME</source>
        <translation>ZEIT</translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation>ROLLE</translation>
    </message>
    <message>
        <source>CONTENT</source>
        <translation>INHALT</translation>
    </message>
    <message>
        <source>AUDIO</source>
        <translation>AUDIO</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) in session %1.
</source>
        <translation>
            <numerusform>%n Nachricht in Sitzung %1.
</numerusform>
            <numerusform>%n Nachrichten in Sitzung %1.
</numerusform>
        </translation>
    </message>
    <message>
        <source>Exports every matching session with its messages, read-only. csv: one row per message with the session&apos;s columns repeated (a session without messages gets one row), RFC 4180 quoting, a header row. json: an array of sessions, each with a &quot;messages&quot; array.</source>
        <translation>Exportiert jede passende Sitzung mit ihren Nachrichten, nur lesend. csv: eine Zeile pro Nachricht, wobei die Spalten der Sitzung wiederholt werden (eine Sitzung ohne Nachrichten erhält eine Zeile), Quoting nach RFC 4180, eine Kopfzeile. json: ein Array von Sitzungen, jede mit einem Array &quot;messages&quot;.</translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation>csv oder json.</translation>
    </message>
    <message>
        <source>format</source>
        <translation>format</translation>
    </message>
    <message>
        <source>Write to this file (replaced whole, or not at all) instead of stdout.</source>
        <translation>In diese Datei schreiben (vollständig ersetzt oder gar nicht) statt auf stdout.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>datei</translation>
    </message>
    <message>
        <source>--format takes csv or json, not &quot;%1&quot;.</source>
        <translation>--format erwartet csv oder json, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Say which format to export: --format csv or --format json.</source>
        <translation>Geben Sie das Exportformat an: --format csv oder --format json.</translation>
    </message>
    <message>
        <source>--output takes a file name, not an empty string.</source>
        <translation>--output erwartet einen Dateinamen, keine leere Zeichenkette.</translation>
    </message>
    <message>
        <source>Could not write %1: %2: check the directory exists and is writable.</source>
        <translation>%1 konnte nicht geschrieben werden: %2: Prüfen Sie, ob das Verzeichnis existiert und beschreibbar ist.</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n session(s) with %1 message(s) to %2.
</source>
        <translation>
            <numerusform>%n Sitzung mit %1 Nachricht(en) nach %2 exportiert.
</numerusform>
            <numerusform>%n Sitzungen mit %1 Nachricht(en) nach %2 exportiert.
</numerusform>
        </translation>
    </message>
    <message>
        <source>List sessions, newest first</source>
        <translation>Sitzungen auflisten, die neuesten zuerst</translation>
    </message>
    <message>
        <source>Show one session&apos;s messages in order</source>
        <translation>Die Nachrichten einer Sitzung der Reihe nach anzeigen</translation>
    </message>
    <message>
        <source>Export sessions with their messages as CSV or JSON</source>
        <translation>Sitzungen mit ihren Nachrichten als CSV oder JSON exportieren</translation>
    </message>
    <message>
        <source>Run a scenario&apos;s conversations against a server and verify them</source>
        <translation>Die Gespräche eines Szenarios gegen einen Server ausführen und verifizieren</translation>
    </message>
    <message>
        <source>--%1 expects a whole number from %2 to %3, not &quot;%4&quot;: see --help.</source>
        <translation>--%1 erwartet eine ganze Zahl von %2 bis %3, nicht &quot;%4&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>%1/%2 sessions done, %3 open, %4 msg/s, reply p95 %5, %6 error(s)</source>
        <translation>%1/%2 Sitzungen fertig, %3 offen, %4 Nachr./s, Antwort p95 %5, %6 Fehler</translation>
    </message>
    <message>
        <source>, verifying %1</source>
        <translation>, verifiziere %1</translation>
    </message>
    <message>
        <source> (stopping)</source>
        <translation> (wird gestoppt)</translation>
    </message>
    <message>
        <source>The scenario file (JSON).</source>
        <translation>Die Szenariodatei (JSON).</translation>
    </message>
    <message>
        <source>The server&apos;s WebSocket URL. Default: $VOXTRACK_URL, else %1.</source>
        <translation>Die WebSocket-URL des Servers. Standard: $VOXTRACK_URL, sonst %1.</translation>
    </message>
    <message>
        <source>Bearer token every session sends (default: $VOXTRACK_TOKEN). Without one, sessions name their user with ?user_id= (a server run with --no-auth).</source>
        <translation>Bearer-Token, das jede Sitzung sendet (Standard: $VOXTRACK_TOKEN). Ohne Token nennen Sitzungen ihren Benutzer mit ?user_id= (ein Server, der mit --no-auth läuft).</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>Compare the database (--db) with every session once it ended.</source>
        <translation>Die Datenbank (--db) mit jeder Sitzung abgleichen, sobald sie beendet ist.</translation>
    </message>
    <message>
        <source>Write summary.json, junit.xml and turns.csv into this directory (created if needed).</source>
        <translation>summary.json, junit.xml und turns.csv in dieses Verzeichnis schreiben (wird bei Bedarf erstellt).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>verz</translation>
    </message>
    <message>
        <source>Run this many sessions instead of the scenario&apos;s.</source>
        <translation>So viele Sitzungen statt der des Szenarios ausführen.</translation>
    </message>
    <message>
        <source>At most this many sessions at once instead of the scenario&apos;s.</source>
        <translation>Höchstens so viele Sitzungen gleichzeitig statt der des Szenarios.</translation>
    </message>
    <message>
        <source>Threads holding the connections (default: one per core).</source>
        <translation>Threads, die die Verbindungen halten (Standard: einer pro Kern).</translation>
    </message>
    <message>
        <source>Milliseconds to wait for a connection, an acknowledgement or a reply before it counts as an error (default 10000).</source>
        <translation>Millisekunden, die auf eine Verbindung, eine Bestätigung oder eine Antwort gewartet wird, bevor dies als Fehler zählt (Standard: 10000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a session&apos;s rows may take to reach the database after it ended; verification looks again until then before it reports a difference (default 5000).</source>
        <translation>Millisekunden, die die Zeilen einer Sitzung nach ihrem Ende brauchen dürfen, um die Datenbank zu erreichen; bis dahin sieht die Verifizierung erneut nach, bevor sie eine Abweichung meldet (Standard: 5000).</translation>
    </message>
    <message>
        <source>Seconds duration_seconds may differ from the duration the client saw (default 1).</source>
        <translation>Sekunden, um die duration_seconds von der vom Client beobachteten Dauer abweichen darf (Standard: 1).</translation>
    </message>
    <message>
        <source>Do not ask the server for message.persisted frames (no persisted latency without --verify).</source>
        <translation>Den Server nicht um message.persisted-Frames bitten (ohne --verify keine Persistierungslatenz).</translation>
    </message>
    <message>
        <source>Seed for the random think times, to repeat a run exactly.</source>
        <translation>Startwert für die zufälligen Denkzeiten, um einen Lauf exakt zu wiederholen.</translation>
    </message>
    <message>
        <source>No progress line, even on a terminal.</source>
        <translation>Keine Fortschrittszeile, auch nicht in einem Terminal.</translation>
    </message>
    <message>
        <source>Name the scenario file to run: see --help.</source>
        <translation>Nennen Sie die auszuführende Szenariodatei: siehe --help.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not a WebSocket URL: use ws://host:port/v1/conversation.</source>
        <translation>Die Server-URL &quot;%1&quot; ist keine WebSocket-URL: Verwenden Sie ws://host:port/v1/conversation.</translation>
    </message>
    <message>
        <source>--tolerance expects seconds from 0 to 3600, not &quot;%1&quot;: see --help.</source>
        <translation>--tolerance erwartet Sekunden von 0 bis 3600, nicht &quot;%1&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number above 0, not &quot;%1&quot;: see --help.</source>
        <translation>--seed erwartet eine ganze Zahl größer als 0, nicht &quot;%1&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>The scenario&apos;s min_persisted_ratio needs --verify or message.persisted frames: drop --no-persisted or add --verify.</source>
        <translation>min_persisted_ratio des Szenarios erfordert --verify oder message.persisted-Frames: Lassen Sie --no-persisted weg oder fügen Sie --verify hinzu.</translation>
    </message>
    <message>
        <source>%1 sessions at once need as many open files, but this process may open only %2: raise the limit (ulimit -n %3) or lower the concurrency.</source>
        <translation>%1 gleichzeitige Sitzungen benötigen ebenso viele offene Dateien, aber dieser Prozess darf nur %2 öffnen: Erhöhen Sie das Limit (ulimit -n %3) oder verringern Sie die Parallelität.</translation>
    </message>
    <message>
        <source>Stopping: no new sessions; open ones finish their turn and end (Ctrl+C again to abort).</source>
        <translation>Wird gestoppt: keine neuen Sitzungen; offene beenden ihren Turn und enden (erneut Ctrl+C zum Abbrechen).</translation>
    </message>
    <message>
        <source>Aborting the open connections.</source>
        <translation>Die offenen Verbindungen werden abgebrochen.</translation>
    </message>
    <message>
        <source>Append realistic conversations to a database, fast</source>
        <translation>Realistische Gespräche schnell an eine Datenbank anfügen</translation>
    </message>
    <message>
        <source>Say how many with --%1 (a whole number from %2 to %3): see --help.</source>
        <translation>Geben Sie mit --%1 an, wie viele (eine ganze Zahl von %2 bis %3): siehe --help.</translation>
    </message>
    <message>
        <source>%1 rows written, committing…</source>
        <translation>%1 Zeilen geschrieben, Commit läuft …</translation>
    </message>
    <message>
        <source>%1 / %2 rows (%3%), %4 rows/s, ETA %5</source>
        <translation>%1 / %2 Zeilen (%3%), %4 Zeilen/s, noch %5</translation>
    </message>
    <message>
        <source>Appends realistic conversations to a migrated database: sessions spread over the last days (ended ones with durations from seconds to half an hour, a share still open), each with a system prompt and alternating user and agent messages with metadata and audio URLs. The rows pass voxtrack-cli doctor. Everything is written in one transaction: on failure or Ctrl+C nothing is left behind. Exit code 0: done; 2: could not seed.</source>
        <translation>Fügt realistische Gespräche an eine migrierte Datenbank an: Sitzungen verteilt über die letzten Tage (beendete mit Dauern von Sekunden bis zu einer halben Stunde, ein Teil noch offen), jede mit einem System-Prompt und abwechselnden Benutzer- und Agent-Nachrichten mit Metadaten und Audio-URLs. Die Zeilen bestehen voxtrack-cli doctor. Alles wird in einer Transaktion geschrieben: Bei einem Fehler oder Ctrl+C bleibt nichts zurück. Exit-Code 0: erledigt; 2: konnte nicht befüllen.</translation>
    </message>
    <message>
        <source>How many sessions to write (1 to 10,000,000).</source>
        <translation>Wie viele Sitzungen geschrieben werden (1 bis 10.000.000).</translation>
    </message>
    <message>
        <source>Messages in every session, the system prompt included (0 to 1,000).</source>
        <translation>Nachrichten in jeder Sitzung, einschließlich des System-Prompts (0 bis 1.000).</translation>
    </message>
    <message>
        <source>m</source>
        <translation>m</translation>
    </message>
    <message>
        <source>How many users the sessions belong to (default: sessions / 20, at least 1).</source>
        <translation>Wie vielen Benutzern die Sitzungen gehören (Standard: Sitzungen / 20, mindestens 1).</translation>
    </message>
    <message>
        <source>Ended sessions start within this many days back from now (default 30).</source>
        <translation>Beendete Sitzungen beginnen innerhalb so vieler Tage vor jetzt (Standard: 30).</translation>
    </message>
    <message>
        <source>Percentage of sessions still open, started within the last hour (default 1).</source>
        <translation>Prozentsatz der noch offenen Sitzungen, begonnen innerhalb der letzten Stunde (Standard: 1).</translation>
    </message>
    <message>
        <source>percent</source>
        <translation>prozent</translation>
    </message>
    <message>
        <source>Repeat the content of an earlier run (users, texts, metadata, times relative to now); random when not given. Session and message ids are always fresh.</source>
        <translation>Den Inhalt eines früheren Laufs wiederholen (Benutzer, Texte, Metadaten, Zeiten relativ zu jetzt); ohne Angabe zufällig. Sitzungs- und Nachrichten-IDs sind immer neu.</translation>
    </message>
    <message>
        <source>--active expects a percentage from 0 to 100, not &quot;%1&quot;: see --help.</source>
        <translation>--active erwartet einen Prozentsatz von 0 bis 100, nicht &quot;%1&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>--seed expects a whole number from 0 to %1, not &quot;%2&quot;: see --help.</source>
        <translation>--seed erwartet eine ganze Zahl von 0 bis %1, nicht &quot;%2&quot;: siehe --help.</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: create it with voxtrack-cli migrate --db %2, then seed it.</source>
        <translation>Unter %1 gibt es keine SQLite-Datenbank: Erstellen Sie sie mit voxtrack-cli migrate --db %2 und befüllen Sie sie dann.</translation>
    </message>
    <message>
        <source>Seeded %1: %2 sessions (%3 open) with %4 messages for %5 users.
</source>
        <translation>%1 befüllt: %2 Sitzungen (%3 offen) mit %4 Nachrichten für %5 Benutzer.
</translation>
    </message>
    <message>
        <source>%1 rows in %2 s: %3 rows/s. Seed %4 repeats this content.
</source>
        <translation>%1 Zeilen in %2 s: %3 Zeilen/s. Startwert %4 wiederholt diesen Inhalt.
</translation>
    </message>
    <message>
        <source>Runs the conversations of a scenario file (docs/scenarios.md) against a server speaking protocol v1: from one session to thousands at once, with think times, expectations on each reply and captured values. With --verify, each finished session is compared with the database: the session row and every message, role, content and duration, and the stored audio of every spoken turn. Thresholds in the scenario decide the exit code: 0 every threshold holds and verification is clean, 1 otherwise, 2 the run could not take place. Ctrl+C stops the run gracefully and still writes the report; a second Ctrl+C aborts the open connections.</source>
        <translation>Führt die Gespräche einer Szenariodatei (docs/scenarios.md) gegen einen Server mit Protokoll v1 aus: von einer Sitzung bis zu Tausenden gleichzeitig, mit Denkpausen, Erwartungen an jede Antwort und erfassten Werten. Mit --verify wird jede beendete Sitzung mit der Datenbank verglichen: die Sitzungszeile und jede Nachricht, Rolle, Inhalt und Dauer sowie das gespeicherte Audio jedes gesprochenen Turns. Schwellenwerte im Szenario bestimmen den Exit-Code: 0 alle Schwellenwerte halten und die Prüfung ist sauber, 1 andernfalls, 2 der Lauf konnte nicht stattfinden. Ctrl+C beendet den Lauf geordnet und schreibt trotzdem den Bericht; ein zweites Ctrl+C bricht die offenen Verbindungen ab.</translation>
    </message>
    <message>
        <source>How spoken turns send their audio: realtime (one 20 ms frame every 20 ms) or fast (all at once), instead of the scenario&apos;s &quot;audio&quot;.&quot;pacing&quot;.</source>
        <translation>Wie gesprochene Turns ihr Audio senden: realtime (alle 20 ms ein 20-ms-Frame) oder fast (alles auf einmal), statt &quot;audio&quot;.&quot;pacing&quot; des Szenarios.</translation>
    </message>
    <message>
        <source>mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <source>--pacing expects realtime or fast, not &quot;%1&quot;: see --help.</source>
        <translation>--pacing erwartet realtime oder fast, nicht „%1“: siehe --help.</translation>
    </message>
    <message>
        <source>Leave audio_url NULL on every message (by default most agent messages get an example URL that serves nothing: use this for data a player will open).</source>
        <translation>audio_url in jeder Nachricht auf NULL lassen (standardmäßig erhalten die meisten Nachrichten des Agenten eine Beispiel-URL, die nichts liefert: verwenden Sie dies für Daten, die ein Player öffnen wird).</translation>
    </message>
</context>
<context>
    <name>voxtrack::cli::FilterOptions</name>
    <message>
        <source>Only the sessions of this user_id.</source>
        <translation>Nur die Sitzungen dieser user_id.</translation>
    </message>
    <message>
        <source>id</source>
        <translation>id</translation>
    </message>
    <message>
        <source>Only sessions still active.</source>
        <translation>Nur noch aktive Sitzungen.</translation>
    </message>
    <message>
        <source>Only sessions that have ended.</source>
        <translation>Nur beendete Sitzungen.</translation>
    </message>
    <message>
        <source>Only sessions started at or after this time: ISO 8601 (2025-10-18T09:30:00Z; UTC when no offset is given) or a span back from now (30m, 2h, 3d, 1w).</source>
        <translation>Nur Sitzungen, die zu oder nach dieser Zeit begonnen haben: ISO 8601 (2025-10-18T09:30:00Z; UTC, wenn kein Offset angegeben ist) oder eine Spanne zurück ab jetzt (30m, 2h, 3d, 1w).</translation>
    </message>
    <message>
        <source>time</source>
        <translation>zeit</translation>
    </message>
</context>
<context>
    <name>voxtrack::client</name>
    <message>
        <source>%1: %2 (limit %3 %4)</source>
        <translation>%1: %2 (Grenze %3 %4)</translation>
    </message>
    <message>
        <source>session %1</source>
        <translation>Sitzung %1</translation>
    </message>
    <message>
        <source>expected &quot;%1&quot;, got &quot;%2&quot;</source>
        <translation>&quot;%1&quot; erwartet, &quot;%2&quot; erhalten</translation>
    </message>
    <message>
        <source>Could not write the report %1: %2.</source>
        <translation>Der Bericht %1 konnte nicht geschrieben werden: %2.</translation>
    </message>
    <message>
        <source>Could not create the report directory %1.</source>
        <translation>Das Berichtsverzeichnis %1 konnte nicht erstellt werden.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>gesetzt</translation>
    </message>
    <message>
        <source>The message %1 was sent as voice, but its audio_url is NULL: the server did not store the audio.</source>
        <translation>Die Nachricht %1 wurde als Sprache gesendet, aber ihre audio_url ist NULL: Der Server hat das Audio nicht gespeichert.</translation>
    </message>
    <message>
        <source>an http URL</source>
        <translation>eine http-URL</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not an http URL (%2): the server must store where it serves the audio.</source>
        <translation>Die audio_url der Nachricht %1 ist keine http-URL (%2): Der Server muss speichern, wo er das Audio bereitstellt.</translation>
    </message>
    <message>
        <source>Fetching the audio of the message %1 from %2 failed (%3): check that the server serves the audio it stored.</source>
        <translation>Das Abrufen des Audios der Nachricht %1 von %2 ist fehlgeschlagen (%3): Prüfen Sie, ob der Server das gespeicherte Audio bereitstellt.</translation>
    </message>
    <message>
        <source>a WAV file</source>
        <translation>eine WAV-Datei</translation>
    </message>
    <message>
        <source>16000 Hz, 1 channel, 16 bits</source>
        <translation>16000 Hz, 1 Kanal, 16 Bit</translation>
    </message>
    <message>
        <source>%1 Hz, %2 channel(s), %3 bits</source>
        <translation>%1 Hz, %2 Kanal/Kanäle, %3 Bit</translation>
    </message>
    <message>
        <source>The audio of the message %1 is %2 Hz, %3 channel(s), %4 bits, but 16000 Hz mono 16-bit audio was sent: the server must store the PCM as it arrived.</source>
        <translation>Das Audio der Nachricht %1 hat %2 Hz, %3 Kanal/Kanäle, %4 Bit, gesendet wurde aber 16-Bit-Mono-Audio mit 16000 Hz: Der Server muss das PCM so speichern, wie es ankam.</translation>
    </message>
    <message>
        <source>The audio of the message %1 lasts %2 s, but %3 s were sent: audio was lost or added on the way.</source>
        <translation>Das Audio der Nachricht %1 dauert %2 s, gesendet wurden aber %3 s: Unterwegs ging Audio verloren oder kam hinzu.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::LatencyHistogram</name>
    <message>
        <source>The histogram data is not valid: %1.</source>
        <translation>Die Histogrammdaten sind ungültig: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::RunReport</name>
    <message>
        <source>voxtrack drive: %1 against %2
</source>
        <translation>voxtrack drive: %1 gegen %2
</translation>
    </message>
    <message>
        <source>started %1, ran %2 s%3
</source>
        <translation>begonnen %1, Laufzeit %2 s%3
</translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation> (unterbrochen)</translation>
    </message>
    <message>
        <source>sessions: %1 planned, %2 started, %3 completed, %4 failed
</source>
        <translation>Sitzungen: %1 geplant, %2 begonnen, %3 abgeschlossen, %4 fehlgeschlagen
</translation>
    </message>
    <message>
        <source>messages: %1 sent, %2 acknowledged, %3 persisted
</source>
        <translation>Nachrichten: %1 gesendet, %2 bestätigt, %3 persistiert
</translation>
    </message>
    <message>
        <source>latency (ms)</source>
        <translation>Latenz (ms)</translation>
    </message>
    <message>
        <source>count</source>
        <translation>Anzahl</translation>
    </message>
    <message>
        <source>max</source>
        <translation>Max.</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>Mittel</translation>
    </message>
    <message>
        <source>connect</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <source>ack</source>
        <translation>Bestätigung</translation>
    </message>
    <message>
        <source>reply</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <source>persisted</source>
        <translation>persistiert</translation>
    </message>
    <message>
        <source>thresholds:</source>
        <translation>Schwellenwerte:</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>FEHLER</translation>
    </message>
    <message>
        <source>verification: not run</source>
        <translation>Verifizierung: nicht ausgeführt</translation>
    </message>
    <message>
        <source>verification: the database matches the conversations</source>
        <translation>Verifizierung: Die Datenbank stimmt mit den Gesprächen überein</translation>
    </message>
    <message>
        <source>findings: %1</source>
        <translation>Befunde: %1</translation>
    </message>
    <message>
        <source>… and %1 more (see summary.json)</source>
        <translation>… und %1 weitere (siehe summary.json)</translation>
    </message>
    <message>
        <source>errors by code:</source>
        <translation>Fehler nach Code:</translation>
    </message>
    <message>
        <source>PASSED</source>
        <translation>BESTANDEN</translation>
    </message>
    <message>
        <source>FAILED: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>FEHLGESCHLAGEN: %1 Schwellenwert(e) verfehlt, %2 Befund(e)</translation>
    </message>
    <message>
        <source>turn %1: %2</source>
        <translation>Turn %1: %2</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>verification was not run</source>
        <translation>Verifizierung wurde nicht ausgeführt</translation>
    </message>
    <message>
        <source>%1 finding(s)</source>
        <translation>%1 Befund(e)</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… und %1 weitere</translation>
    </message>
    <message>
        <source>throughput: %1 messages/s, %2 replies/s; peak concurrency %3 sessions
</source>
        <translation>Durchsatz: %1 Nachrichten/s, %2 Antworten/s; höchste Parallelität %3 Sitzungen
</translation>
    </message>
    <message>
        <source>client: %1 thread(s), %2 s CPU (%3 µs per message), peak memory %4 MB
</source>
        <translation>Client: %1 Thread(s), %2 s CPU (%3 µs pro Nachricht), Spitzenspeicher %4 MB
</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Scenario</name>
    <message>
        <source>the &quot;}&quot; at offset %1 closes no placeholder: write }} for a literal brace.</source>
        <translation>die &quot;}&quot; an Position %1 schließt keinen Platzhalter: Schreiben Sie }} für eine wörtliche Klammer.</translation>
    </message>
    <message>
        <source>the &quot;{&quot; at offset %1 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>die &quot;{&quot; an Position %1 wird nicht geschlossen: Beenden Sie den Platzhalter mit &quot;}&quot; oder schreiben Sie {{ für eine wörtliche Klammer.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from %1 to %2</source>
        <translation>eine ganze Zahl von Millisekunden von %1 bis %2</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>ein JSON-Objekt</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1: Der reguläre Ausdruck ist ungültig (%2 an Position %3): Korrigieren Sie das Muster.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: %3</source>
        <translation>%1: Der Platzhalter {%2} ist unbekannt: %3</translation>
    </message>
    <message>
        <source>use {n} for the session number, and {{ and }} for literal braces.</source>
        <translation>Verwenden Sie {n} für die Sitzungsnummer und {{ und }} für wörtliche Klammern.</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1, or a range [min, max] of two such numbers</source>
        <translation>eine ganze Zahl von Millisekunden von 0 bis %1 oder ein Bereich [min, max] aus zwei solchen Zahlen</translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>eine ganze Zahl von Millisekunden von 0 bis %1</translation>
    </message>
    <message>
        <source>%1: the range [%2, %3] is inverted: write the shorter time first.</source>
        <translation>%1: Der Bereich [%2, %3] ist vertauscht: Schreiben Sie die kürzere Zeit zuerst.</translation>
    </message>
    <message>
        <source>an object with &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; or &quot;role&quot;</source>
        <translation>ein Objekt mit &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; oder &quot;role&quot;</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>einer von %1</translation>
    </message>
    <message>
        <source>an object of names and regular expressions</source>
        <translation>ein Objekt aus Namen und regulären Ausdrücken</translation>
    </message>
    <message>
        <source>%1: the name is not usable as a placeholder: start with a letter and use only letters, digits and &quot;_&quot;.</source>
        <translation>%1: Der Name ist als Platzhalter nicht verwendbar: Beginnen Sie mit einem Buchstaben und verwenden Sie nur Buchstaben, Ziffern und &quot;_&quot;.</translation>
    </message>
    <message>
        <source>%1: the name is reserved for the placeholder {%2}: choose another name.</source>
        <translation>%1: Der Name ist für den Platzhalter {%2} reserviert: Wählen Sie einen anderen Namen.</translation>
    </message>
    <message>
        <source>an object with &quot;say&quot;</source>
        <translation>ein Objekt mit &quot;say&quot;</translation>
    </message>
    <message>
        <source>use {n} or {user_id}, capture the value in an earlier turn&apos;s &quot;capture&quot;, and write {{ and }} for literal braces.</source>
        <translation>Verwenden Sie {n} oder {user_id}, erfassen Sie den Wert im &quot;capture&quot; eines früheren Turns und schreiben Sie {{ und }} für wörtliche Klammern.</translation>
    </message>
    <message>
        <source>use {n}, {user_id} or a value captured by an earlier turn (%1), and write {{ and }} for literal braces.</source>
        <translation>Verwenden Sie {n}, {user_id} oder einen von einem früheren Turn erfassten Wert (%1) und schreiben Sie {{ und }} für wörtliche Klammern.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is captured only by this turn or a later one: capture it in an earlier turn, since a value can be used only after the reply it comes from.</source>
        <translation>%1: Der Platzhalter {%2} wird erst von diesem oder einem späteren Turn erfasst: Erfassen Sie ihn in einem früheren Turn, da ein Wert erst nach der Antwort verwendet werden kann, aus der er stammt.</translation>
    </message>
    <message>
        <source>%1: only user turns get a reply, and this turn&apos;s role is &quot;%2&quot;: remove it, or make the turn a user turn.</source>
        <translation>%1: Nur Benutzer-Turns erhalten eine Antwort, und die Rolle dieses Turns ist &quot;%2&quot;: Entfernen Sie ihn oder machen Sie den Turn zu einem Benutzer-Turn.</translation>
    </message>
    <message>
        <source>a whole number of times from %1 to %2</source>
        <translation>eine ganze Zahl von Malen von %1 bis %2</translation>
    </message>
    <message>
        <source>an object of limits</source>
        <translation>ein Objekt aus Grenzwerten</translation>
    </message>
    <message>
        <source>a number of milliseconds above 0 and at most %1</source>
        <translation>eine Anzahl Millisekunden größer als 0 und höchstens %1</translation>
    </message>
    <message>
        <source>a number from 0 to 1 (a fraction: 0.01 is 1 %)</source>
        <translation>eine Zahl von 0 bis 1 (ein Anteil: 0.01 ist 1 %)</translation>
    </message>
    <message>
        <source>%1.p99_reply_ms: the limit %2 is below p95_reply_ms (%3), so the two look swapped: make p99_reply_ms at least p95_reply_ms.</source>
        <translation>%1.p99_reply_ms: Der Grenzwert %2 liegt unter p95_reply_ms (%3), die beiden wirken also vertauscht: Setzen Sie p99_reply_ms mindestens auf p95_reply_ms.</translation>
    </message>
    <message>
        <source>an object with &quot;per_second&quot;</source>
        <translation>ein Objekt mit &quot;per_second&quot;</translation>
    </message>
    <message>
        <source>a number of sessions per second above 0 and at most %1</source>
        <translation>eine Anzahl Sitzungen pro Sekunde größer als 0 und höchstens %1</translation>
    </message>
    <message>
        <source>a whole number of seconds from %1 to %2</source>
        <translation>eine ganze Zahl von Sekunden von %1 bis %2</translation>
    </message>
    <message>
        <source>The scenario is not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>Das Szenario ist kein gültiges JSON (%1 bei Byte %2): Korrigieren Sie die Datei an dieser Stelle.</translation>
    </message>
    <message>
        <source>The scenario is an array, not a JSON object: write one object with &quot;version&quot; and &quot;turns&quot;.</source>
        <translation>Das Szenario ist ein Array, kein JSON-Objekt: Schreiben Sie ein Objekt mit &quot;version&quot; und &quot;turns&quot;.</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write a scenario of version 1, as docs/scenarios.md describes.</source>
        <translation>version: Die Version %1 wird nicht unterstützt: Schreiben Sie ein Szenario der Version 1, wie in docs/scenarios.md beschrieben.</translation>
    </message>
    <message>
        <source>a whole number of sessions from %1 to %2</source>
        <translation>eine ganze Zahl von Sitzungen von %1 bis %2</translation>
    </message>
    <message>
        <source>concurrency: %1 sessions at once is more than the %2 sessions of the run: lower &quot;concurrency&quot; or raise &quot;sessions&quot;.</source>
        <translation>concurrency: %1 gleichzeitige Sitzungen sind mehr als die %2 Sitzungen des Laufs: Verringern Sie &quot;concurrency&quot; oder erhöhen Sie &quot;sessions&quot;.</translation>
    </message>
    <message>
        <source>use {n} for the session number or {uuid} for a random UUID, and {{ and }} for literal braces.</source>
        <translation>Verwenden Sie {n} für die Sitzungsnummer oder {uuid} für eine zufällige UUID und {{ und }} für wörtliche Klammern.</translation>
    </message>
    <message>
        <source>an array of at least one turn</source>
        <translation>ein Array aus mindestens einem Turn</translation>
    </message>
    <message>
        <source>turns: the array is empty: add at least one turn with &quot;say&quot;.</source>
        <translation>turns: Das Array ist leer: Fügen Sie mindestens einen Turn mit &quot;say&quot; hinzu.</translation>
    </message>
    <message>
        <source>turns: %1 turns are more than %2: split the conversation or use &quot;repeat&quot;.</source>
        <translation>turns: %1 Turns sind mehr als %2: Teilen Sie das Gespräch auf oder verwenden Sie &quot;repeat&quot;.</translation>
    </message>
    <message>
        <source>The scenario file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>Die Szenariodatei %1 kann nicht gelesen werden (%2): Prüfen Sie den Pfad und seine Berechtigungen.</translation>
    </message>
    <message>
        <source>%1: espeak-ng has no voice &quot;%2&quot;: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>%1: espeak-ng hat keine Stimme „%2“: Verwenden Sie eine wie en-us, en-gb oder de (espeak-ng --voices listet alle auf).</translation>
    </message>
    <message>
        <source>a whole number of words per minute from %1 to %2</source>
        <translation>eine ganze Zahl von Wörtern pro Minute zwischen %1 und %2</translation>
    </message>
    <message>
        <source>true, false or an object with &quot;name&quot; and &quot;rate&quot;</source>
        <translation>true, false oder ein Objekt mit &quot;name&quot; und &quot;rate&quot;</translation>
    </message>
    <message>
        <source>&quot;realtime&quot; or &quot;fast&quot;</source>
        <translation>&quot;realtime&quot; oder &quot;fast&quot;</translation>
    </message>
    <message>
        <source>%1: only user turns can be spoken, and this turn&apos;s role is &quot;%2&quot;: remove &quot;voice&quot;, or make the turn a user turn.</source>
        <translation>%1: Nur Turns des Benutzers können gesprochen werden, und die Rolle dieses Turns ist „%2“: Entfernen Sie &quot;voice&quot; oder machen Sie den Turn zu einem Benutzer-Turn.</translation>
    </message>
    <message>
        <source>%1: a spoken turn carries no metadata (audio.end has none): remove &quot;metadata&quot; or &quot;voice&quot;.</source>
        <translation>%1: Ein gesprochener Turn trägt keine Metadaten (audio.end hat keine): Entfernen Sie &quot;metadata&quot; oder &quot;voice&quot;.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::SessionDriver</name>
    <message>
        <source>The server ended the session before its turns were over (reason %1).</source>
        <translation>Der Server hat die Sitzung beendet, bevor ihre Turns vorüber waren (Grund %1).</translation>
    </message>
    <message>
        <source>The reply came from the agent, not from the expected role &quot;%1&quot;.</source>
        <translation>Die Antwort kam vom Agenten, nicht von der erwarteten Rolle &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>The reply took %1 ms, more than the expected %2 ms.</source>
        <translation>Die Antwort dauerte %1 ms, länger als die erwarteten %2 ms.</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not contain &quot;%2&quot;.</source>
        <translation>Die Antwort &quot;%1&quot; enthält &quot;%2&quot; nicht.</translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not match /%2/.</source>
        <translation>Die Antwort &quot;%1&quot; passt nicht auf /%2/.</translation>
    </message>
    <message>
        <source>No session.started within %1 ms of connecting.</source>
        <translation>Kein session.started innerhalb von %1 ms nach dem Verbinden.</translation>
    </message>
    <message>
        <source>No reply within %1 ms (the run&apos;s reply timeout).</source>
        <translation>Keine Antwort innerhalb von %1 ms (Antwort-Timeout des Laufs).</translation>
    </message>
    <message>
        <source>No message.ack within %1 ms (the run&apos;s reply timeout).</source>
        <translation>Kein message.ack innerhalb von %1 ms (Antwort-Timeout des Laufs).</translation>
    </message>
    <message>
        <source>No session.ended within %1 ms of session.end.</source>
        <translation>Kein session.ended innerhalb von %1 ms nach session.end.</translation>
    </message>
    <message>
        <source>The server did not close the connection within %1 ms of session.ended.</source>
        <translation>Der Server hat die Verbindung nicht innerhalb von %1 ms nach session.ended geschlossen.</translation>
    </message>
    <message>
        <source>The connection closed while a reply was awaited.</source>
        <translation>Die Verbindung wurde geschlossen, während auf eine Antwort gewartet wurde.</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Verifier</name>
    <message>
        <source>The session %1 is not in conversation_sessions: the session start was never stored.</source>
        <translation>Die Sitzung %1 ist nicht in conversation_sessions: Der Sitzungsbeginn wurde nie gespeichert.</translation>
    </message>
    <message>
        <source>The session is stored for user %1, but the server told the client %2.</source>
        <translation>Die Sitzung ist für den Benutzer %1 gespeichert, aber der Server hat dem Client %2 mitgeteilt.</translation>
    </message>
    <message>
        <source>The session&apos;s metadata is not what the client sent.</source>
        <translation>Die Metadaten der Sitzung entsprechen nicht dem, was der Client gesendet hat.</translation>
    </message>
    <message>
        <source>set</source>
        <translation>gesetzt</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session has no ended_at.</source>
        <translation>Der Client hat session.ended empfangen, aber die Sitzung hat kein ended_at.</translation>
    </message>
    <message>
        <source>The client received session.ended, but the session is still active.</source>
        <translation>Der Client hat session.ended empfangen, aber die Sitzung ist noch aktiv.</translation>
    </message>
    <message>
        <source>The ended session has no duration_seconds.</source>
        <translation>Die beendete Sitzung hat kein duration_seconds.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration session.ended reported by more than %1 s.</source>
        <translation>duration_seconds weicht um mehr als %1 s von der Dauer ab, die session.ended gemeldet hat.</translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration the client observed by more than %1 s.</source>
        <translation>duration_seconds weicht um mehr als %1 s von der Dauer ab, die der Client beobachtet hat.</translation>
    </message>
    <message>
        <source>duration_seconds differs from ended_at - started_at by more than %1 s.</source>
        <translation>duration_seconds weicht um mehr als %1 s von ended_at - started_at ab.</translation>
    </message>
    <message>
        <source>message_count is %1, but session.ended reported %2 messages.</source>
        <translation>message_count ist %1, aber session.ended hat %2 Nachrichten gemeldet.</translation>
    </message>
    <message>
        <source>end_reason is &quot;%1&quot;, but session.ended reported &quot;%2&quot;.</source>
        <translation>end_reason ist &quot;%1&quot;, aber session.ended hat &quot;%2&quot; gemeldet.</translation>
    </message>
    <message>
        <source>The message %1 is stored %2 times: a retried write was not deduplicated.</source>
        <translation>Die Nachricht %1 ist %2-mal gespeichert: Ein wiederholter Schreibvorgang wurde nicht dedupliziert.</translation>
    </message>
    <message>
        <source>The message at seq %1 (%2) was acknowledged but is not in conversation_messages.</source>
        <translation>Die Nachricht bei seq %1 (%2) wurde bestätigt, ist aber nicht in conversation_messages.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;assistant&quot;: agent replies must be stored as &quot;agent&quot;.</source>
        <translation>Die Nachricht %1 ist mit der Rolle &quot;assistant&quot; gespeichert: Agent-Antworten müssen als &quot;agent&quot; gespeichert werden.</translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;%2&quot; instead of &quot;%3&quot;.</source>
        <translation>Die Nachricht %1 ist mit der Rolle &quot;%2&quot; statt &quot;%3&quot; gespeichert.</translation>
    </message>
    <message>
        <source>The content of the message %1 is not what was exchanged.</source>
        <translation>Der Inhalt der Nachricht %1 entspricht nicht dem Ausgetauschten.</translation>
    </message>
    <message>
        <source>The metadata of the message %1 is not what was exchanged.</source>
        <translation>Die Metadaten der Nachricht %1 entsprechen nicht dem Ausgetauschten.</translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not what was exchanged.</source>
        <translation>Die audio_url der Nachricht %1 entspricht nicht dem Ausgetauschten.</translation>
    </message>
    <message>
        <source>The message %1 is stored at seq %2, but was exchanged at seq %3.</source>
        <translation>Die Nachricht %1 ist bei seq %2 gespeichert, wurde aber bei seq %3 ausgetauscht.</translation>
    </message>
    <message>
        <source>The message row %1 (seq %2, role &quot;%3&quot;) was never exchanged with the client.</source>
        <translation>Die Nachrichtenzeile %1 (seq %2, Rolle &quot;%3&quot;) wurde nie mit dem Client ausgetauscht.</translation>
    </message>
    <message numerus="yes">
        <source>%n byte(s)</source>
        <translation>
            <numerusform>%n Byte</numerusform>
            <numerusform>%n Bytes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VerifyWorker</name>
    <message>
        <source>The session could not be verified: %1 [%2]</source>
        <translation>Die Sitzung konnte nicht verifiziert werden: %1 [%2]</translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VoiceClient</name>
    <message>
        <source>Could not connect to %1 (%2): check the server URL and that the server runs.</source>
        <translation>Verbindung zu %1 nicht möglich (%2): Prüfen Sie die Server-URL und ob der Server läuft.</translation>
    </message>
    <message>
        <source>The server closed the connection before the session ended (code %1: %2).</source>
        <translation>Der Server hat die Verbindung geschlossen, bevor die Sitzung endete (Code %1: %2).</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::BubbleDelegate</name>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>System</source>
        <translation>System</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>(no role)</source>
        <translation>(keine Rolle)</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the agent&apos;s role is &quot;agent&quot;.</source>
        <translation>Die Datenbank erlaubt die Rolle &quot;%1&quot; nicht: Die Rolle des Agenten ist &quot;agent&quot;.</translation>
    </message>
    <message>
        <source>The database does not allow the role &quot;%1&quot;: the allowed roles are %2.</source>
        <translation>Die Datenbank erlaubt die Rolle &quot;%1&quot; nicht: Die erlaubten Rollen sind %2.</translation>
    </message>
    <message>
        <source>Stop playing this message (Space)</source>
        <translation>Wiedergabe dieser Nachricht beenden (Leertaste)</translation>
    </message>
    <message>
        <source>Play this message&apos;s audio (Space)</source>
        <translation>Audio dieser Nachricht abspielen (Leertaste)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::CallPlayer</name>
    <message>
        <source>There is no audio output device: connect speakers or headphones to play recordings.</source>
        <translation>Es gibt kein Audioausgabegerät: Schließen Sie Lautsprecher oder Kopfhörer an, um Aufnahmen abzuspielen.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be played (%2): check the system&apos;s sound settings and try again.</source>
        <translation>Die Aufnahme unter %1 konnte nicht abgespielt werden (%2): Prüfen Sie die Toneinstellungen des Systems und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>The message&apos;s audio_url &quot;%1&quot; is not a URL: it should be like http://host:port/audio/&lt;id&gt;.wav.</source>
        <translation>Die audio_url „%1“ der Nachricht ist keine URL: Sie sollte wie http://host:port/audio/&lt;id&gt;.wav aussehen.</translation>
    </message>
    <message>
        <source>There is no recording at %1 (HTTP 404): check that the app is connected to the server that recorded this call.</source>
        <translation>Unter %1 gibt es keine Aufnahme (HTTP 404): Prüfen Sie, ob die App mit dem Server verbunden ist, der diesen Anruf aufgenommen hat.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be fetched (%2): check that voxtrackd is running and try again.</source>
        <translation>Die Aufnahme unter %1 konnte nicht abgerufen werden (%2): Prüfen Sie, ob voxtrackd läuft, und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>The recording at %1 is not a WAV file: check that the message&apos;s audio_url points at voxtrackd&apos;s /audio/ path.</source>
        <translation>Die Aufnahme unter %1 ist keine WAV-Datei: Prüfen Sie, ob die audio_url der Nachricht auf den Pfad /audio/ von voxtrackd zeigt.</translation>
    </message>
    <message>
        <source>The recording at %1 could not be kept for playing (%2): free some space in the temporary directory and try again.</source>
        <translation>Die Aufnahme unter %1 konnte nicht zum Abspielen zwischengespeichert werden (%2): Schaffen Sie Platz im temporären Verzeichnis und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>error %1</source>
        <translation>Fehler %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionBar</name>
    <message>
        <source>%1 has no conversation tables: run voxtrack-cli migrate --db %1 to create them, or choose a conversation database.</source>
        <translation>%1 hat keine Gesprächstabellen: Führen Sie voxtrack-cli migrate --db %1 aus, um sie zu erstellen, oder wählen Sie eine Gesprächsdatenbank.</translation>
    </message>
    <message numerus="yes">
        <source>SQLite · %1 · %Ln session(s)</source>
        <translation>
            <numerusform>SQLite · %1 · %Ln Sitzung</numerusform>
            <numerusform>SQLite · %1 · %Ln Sitzungen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>PostgreSQL %1 · %Ln session(s)</source>
        <translation>
            <numerusform>PostgreSQL %1 · %Ln Sitzung</numerusform>
            <numerusform>PostgreSQL %1 · %Ln Sitzungen</numerusform>
        </translation>
    </message>
    <message>
        <source>Invalid URL</source>
        <translation>Ungültige URL</translation>
    </message>
    <message>
        <source>Login refused</source>
        <translation>Anmeldung abgelehnt</translation>
    </message>
    <message>
        <source>No such database</source>
        <translation>Keine solche Datenbank</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>Nicht erreichbar</translation>
    </message>
    <message>
        <source>TLS failed</source>
        <translation>TLS fehlgeschlagen</translation>
    </message>
    <message>
        <source>No SQL driver</source>
        <translation>Kein SQL-Treiber</translation>
    </message>
    <message>
        <source>No conversation tables</source>
        <translation>Keine Gesprächstabellen</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Abgelehnt</translation>
    </message>
    <message>
        <source>Unsaved connection</source>
        <translation>Nicht gespeicherte Verbindung</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <source>Not connected to a database.</source>
        <translation>Nicht mit einer Datenbank verbunden.</translation>
    </message>
    <message>
        <source>Not connected to a server.</source>
        <translation>Nicht mit einem Server verbunden.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbindung wird hergestellt …</translation>
    </message>
    <message>
        <source>Waiting for the system keychain to give the profile&apos;s password.</source>
        <translation>Warten, bis der Schlüsselbund des Systems das Passwort des Profils herausgibt.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;.</source>
        <translation>Das Profil &quot;%1&quot; wurde gespeichert.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot;; its password is in the system keychain.</source>
        <translation>Das Profil &quot;%1&quot; wurde gespeichert; sein Passwort liegt im Schlüsselbund des Systems.</translation>
    </message>
    <message>
        <source>Saved the profile &quot;%1&quot; without its password.</source>
        <translation>Das Profil &quot;%1&quot; wurde ohne sein Passwort gespeichert.</translation>
    </message>
    <message>
        <source>the password was not saved</source>
        <translation>das Passwort wurde nicht gespeichert</translation>
    </message>
    <message>
        <source>Choose the profile to delete first.</source>
        <translation>Wählen Sie zuerst das zu löschende Profil.</translation>
    </message>
    <message>
        <source>There is no saved profile &quot;%1&quot; to delete.</source>
        <translation>Es gibt kein gespeichertes Profil &quot;%1&quot; zum Löschen.</translation>
    </message>
    <message>
        <source>Deleted the profile &quot;%1&quot;.</source>
        <translation>Das Profil &quot;%1&quot; wurde gelöscht.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbindung mit %1 wird hergestellt …</translation>
    </message>
    <message>
        <source>Connected to %1: %2.</source>
        <translation>Verbunden mit %1: %2.</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Kein Server</translation>
    </message>
    <message>
        <source>No server: the inspector works with the database alone; give a server URL to drive conversations.</source>
        <translation>Kein Server: Der Inspektor arbeitet nur mit der Datenbank; geben Sie eine Server-URL an, um Gespräche zu führen.</translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not valid: write it as ws://host:port/v1/conversation or http://host:port.</source>
        <translation>Die Server-URL &quot;%1&quot; ist ungültig: Schreiben Sie sie als ws://host:port/v1/conversation oder http://host:port.</translation>
    </message>
    <message>
        <source>Asking %1 for its health…</source>
        <translation>%1 wird nach seinem Zustand gefragt …</translation>
    </message>
    <message>
        <source>Not voxtrackd</source>
        <translation>Kein voxtrackd</translation>
    </message>
    <message>
        <source>%1 answered (HTTP %2), but not as voxtrackd does: check that the server URL points at voxtrackd.</source>
        <translation>%1 hat geantwortet (HTTP %2), aber nicht so wie voxtrackd: Prüfen Sie, ob die Server-URL auf voxtrackd zeigt.</translation>
    </message>
    <message>
        <source>Nothing answers at %1: start voxtrackd there (voxtrackd --listen %1), or clear the server URL to work with the database alone.</source>
        <translation>Unter %1 antwortet nichts: Starten Sie dort voxtrackd (voxtrackd --listen %1) oder leeren Sie die Server-URL, um nur mit der Datenbank zu arbeiten.</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>Keine Antwort</translation>
    </message>
    <message>
        <source>The server at %1 did not answer within %2 seconds: check the address, and that voxtrackd is running there.</source>
        <translation>Der Server unter %1 hat nicht innerhalb von %2 Sekunden geantwortet: Prüfen Sie die Adresse und ob voxtrackd dort läuft.</translation>
    </message>
    <message>
        <source>Unknown host</source>
        <translation>Unbekannter Host</translation>
    </message>
    <message>
        <source>The server host &quot;%1&quot; is unknown: check its name in the server URL.</source>
        <translation>Der Server-Host &quot;%1&quot; ist unbekannt: Prüfen Sie seinen Namen in der Server-URL.</translation>
    </message>
    <message>
        <source>The TLS handshake with %1 failed (%2): check the server&apos;s certificate, or use ws:// for a server without TLS.</source>
        <translation>Der TLS-Handshake mit %1 ist fehlgeschlagen (%2): Prüfen Sie das Zertifikat des Servers oder verwenden Sie ws:// für einen Server ohne TLS.</translation>
    </message>
    <message>
        <source>Could not reach the server at %1 (%2): check the server URL, and that voxtrackd is running there.</source>
        <translation>Der Server unter %1 ist nicht erreichbar (%2): Prüfen Sie die Server-URL und ob voxtrackd dort läuft.</translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 · %Ln live session(s)</source>
        <translation>
            <numerusform>voxtrackd %1 · %Ln Live-Sitzung</numerusform>
            <numerusform>voxtrackd %1 · %Ln Live-Sitzungen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>voxtrackd %1 at %2 is up, with its database: %Ln live session(s).</source>
        <translation>
            <numerusform>voxtrackd %1 unter %2 läuft, mit seiner Datenbank: %Ln Live-Sitzung.</numerusform>
            <numerusform>voxtrackd %1 unter %2 läuft, mit seiner Datenbank: %Ln Live-Sitzungen.</numerusform>
        </translation>
    </message>
    <message>
        <source>voxtrackd %1 · degraded</source>
        <translation>voxtrackd %1 · eingeschränkt</translation>
    </message>
    <message>
        <source>voxtrackd %1 at %2 answers, but has not reached its database (yet): it keeps what it is sent in its journal until the database takes it.</source>
        <translation>voxtrackd %1 unter %2 antwortet, hat seine Datenbank aber (noch) nicht erreicht: Er behält, was ihm gesendet wird, in seinem Journal, bis die Datenbank es aufnimmt.</translation>
    </message>
    <message>
        <source>the profile&apos;s password was not read</source>
        <translation>das Passwort des Profils wurde nicht gelesen</translation>
    </message>
    <message>
        <source>The system keychain refused access: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>Der Schlüsselbund des Systems hat den Zugriff verweigert: %1; hinterlegen Sie es in ~/.pgpass oder PGPASSWORD.</translation>
    </message>
    <message>
        <source>No system keychain: %1; put it in ~/.pgpass or PGPASSWORD.</source>
        <translation>Kein Schlüsselbund des Systems: %1; hinterlegen Sie es in ~/.pgpass oder PGPASSWORD.</translation>
    </message>
    <message>
        <source>voxtrackd at %1 stopped answering: %2 The connection is kept; it recovers when the server answers again.</source>
        <translation>voxtrackd unter %1 antwortet nicht mehr: %2 Die Verbindung bleibt bestehen; sie erholt sich, sobald der Server wieder antwortet.</translation>
    </message>
    <message>
        <source>Not answering</source>
        <translation>Antwortet nicht</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConnectionProfiles</name>
    <message>
        <source>The profile has no name: type one in the profile box first.</source>
        <translation>Das Profil hat keinen Namen: Geben Sie zuerst einen in das Profilfeld ein.</translation>
    </message>
    <message>
        <source>The profile name &quot;%1&quot; cannot hold / or \ or start or end with a space: choose another name.</source>
        <translation>Der Profilname &quot;%1&quot; darf weder / noch \ enthalten und nicht mit einem Leerzeichen beginnen oder enden: Wählen Sie einen anderen Namen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::ConversationPage</name>
    <message>
        <source>the client closed it</source>
        <translation>der Client hat sie geschlossen</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>Zeitüberschreitung</translation>
    </message>
    <message>
        <source>the server shut down</source>
        <translation>der Server wurde heruntergefahren</translation>
    </message>
    <message>
        <source>closed after a crash</source>
        <translation>nach einem Absturz geschlossen</translation>
    </message>
    <message>
        <source>object</source>
        <translation>Objekt</translation>
    </message>
    <message>
        <source>array</source>
        <translation>Array</translation>
    </message>
    <message>
        <source>string</source>
        <translation>Zeichenkette</translation>
    </message>
    <message>
        <source>number</source>
        <translation>Zahl</translation>
    </message>
    <message>
        <source>boolean</source>
        <translation>Boolescher Wert</translation>
    </message>
    <message>
        <source>null</source>
        <translation>null</translation>
    </message>
    <message>
        <source>Copy as text</source>
        <translation>Als Text kopieren</translation>
    </message>
    <message>
        <source>Copy message</source>
        <translation>Nachricht kopieren</translation>
    </message>
    <message>
        <source>Copy the whole transcript as text (%1)</source>
        <translation>Das gesamte Transkript als Text kopieren (%1)</translation>
    </message>
    <message>
        <source>Copy the selected message&apos;s text (%1)</source>
        <translation>Den Text der ausgewählten Nachricht kopieren (%1)</translation>
    </message>
    <message>
        <source>Not in this database</source>
        <translation>Nicht in dieser Datenbank</translation>
    </message>
    <message>
        <source>Could not be read</source>
        <translation>Konnte nicht gelesen werden</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Keine Datenbank</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen …</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>not yet</source>
        <translation>noch nicht</translation>
    </message>
    <message>
        <source>%1 so far</source>
        <translation>bisher %1</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Ended: %1</source>
        <translation>Beendet: %1</translation>
    </message>
    <message>
        <source>Session metadata: none</source>
        <translation>Sitzungsmetadaten: keine</translation>
    </message>
    <message>
        <source>Session metadata</source>
        <translation>Sitzungsmetadaten</translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n Schlüssel</numerusform>
            <numerusform>%n Schlüssel</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n Element</numerusform>
            <numerusform>%n Elemente</numerusform>
        </translation>
    </message>
    <message>
        <source>There is no transcript to copy: select a session with messages.</source>
        <translation>Es gibt kein Transkript zum Kopieren: Wählen Sie eine Sitzung mit Nachrichten aus.</translation>
    </message>
    <message numerus="yes">
        <source>Copied the transcript (%n message(s)) to the clipboard.</source>
        <translation>
            <numerusform>Das Transkript (%n Nachricht) wurde in die Zwischenablage kopiert.</numerusform>
            <numerusform>Das Transkript (%n Nachrichten) wurde in die Zwischenablage kopiert.</numerusform>
        </translation>
    </message>
    <message>
        <source>No message is selected: click a bubble first.</source>
        <translation>Keine Nachricht ausgewählt: Klicken Sie zuerst auf eine Sprechblase.</translation>
    </message>
    <message>
        <source>Copied the message to the clipboard.</source>
        <translation>Die Nachricht wurde in die Zwischenablage kopiert.</translation>
    </message>
    <message>
        <source>Play call</source>
        <translation>Anruf abspielen</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stopp</translation>
    </message>
    <message>
        <source>Play message</source>
        <translation>Nachricht abspielen</translation>
    </message>
    <message>
        <source>Stop playing (%1)</source>
        <translation>Wiedergabe beenden (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio: only messages with an audio_url can be played.</source>
        <translation>Dieses Gespräch hat kein aufgenommenes Audio: Nur Nachrichten mit einer audio_url können abgespielt werden.</translation>
    </message>
    <message>
        <source>Play every recorded message of the call in order (%1)</source>
        <translation>Alle aufgenommenen Nachrichten des Anrufs der Reihe nach abspielen (%1)</translation>
    </message>
    <message>
        <source>This conversation has no recorded audio.</source>
        <translation>Dieses Gespräch hat kein aufgenommenes Audio.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::DashboardPage</name>
    <message>
        <source>per minute</source>
        <translation>pro Minute</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>pro Stunde</translation>
    </message>
    <message>
        <source>per day</source>
        <translation>pro Tag</translation>
    </message>
    <message>
        <source>per week</source>
        <translation>pro Woche</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen …</translation>
    </message>
    <message>
        <source>Could not write the chart to %1: choose a folder you can write to and export again.</source>
        <translation>Das Diagramm konnte nicht nach %1 geschrieben werden: Wählen Sie einen beschreibbaren Ordner und exportieren Sie erneut.</translation>
    </message>
    <message>
        <source>Chart saved to %1.</source>
        <translation>Diagramm unter %1 gespeichert.</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>Als PNG exportieren …</translation>
    </message>
    <message>
        <source>Save this chart as a PNG image</source>
        <translation>Dieses Diagramm als PNG-Bild speichern</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Begonnen</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Session durations</source>
        <translation>Sitzungsdauern</translation>
    </message>
    <message>
        <source>Ended sessions</source>
        <translation>Beendete Sitzungen</translation>
    </message>
    <message>
        <source>Messages by role</source>
        <translation>Nachrichten nach Rolle</translation>
    </message>
    <message>
        <source>Milliseconds</source>
        <translation>Millisekunden</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Antworten</translation>
    </message>
    <message>
        <source>@value ms</source>
        <translation>@value ms</translation>
    </message>
    <message>
        <source>Switch between the latency percentiles and the replies per latency range</source>
        <translation>Zwischen den Latenz-Perzentilen und den Antworten pro Latenzbereich umschalten</translation>
    </message>
    <message numerus="yes">
        <source>Updated %1 · %Ln session(s)</source>
        <translation>
            <numerusform>Aktualisiert %1 · %Ln Sitzung</numerusform>
            <numerusform>Aktualisiert %1 · %Ln Sitzungen</numerusform>
        </translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Keine Datenbank</translation>
    </message>
    <message>
        <source>No statistics</source>
        <translation>Keine Statistiken</translation>
    </message>
    <message>
        <source>No sessions yet</source>
        <translation>Noch keine Sitzungen</translation>
    </message>
    <message>
        <source>No sessions in this range</source>
        <translation>Keine Sitzungen in diesem Zeitraum</translation>
    </message>
    <message>
        <source>Sessions over time</source>
        <translation>Sitzungen im Zeitverlauf</translation>
    </message>
    <message>
        <source>Sessions over time, %1</source>
        <translation>Sitzungen im Zeitverlauf, %1</translation>
    </message>
    <message>
        <source>Local time</source>
        <translation>Ortszeit</translation>
    </message>
    <message>
        <source>No ended sessions yet</source>
        <translation>Noch keine beendeten Sitzungen</translation>
    </message>
    <message>
        <source>%1 · %2 (%3)</source>
        <translation>%1 · %2 (%3)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln message(s) have a role the schema does not allow: %1</source>
        <translation>
            <numerusform>%Ln Nachricht hat eine Rolle, die das Schema nicht erlaubt: %1</numerusform>
            <numerusform>%Ln Nachrichten haben eine Rolle, die das Schema nicht erlaubt: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Noch keine Nachrichten</translation>
    </message>
    <message>
        <source>Reply latency distribution</source>
        <translation>Verteilung der Antwortlatenz</translation>
    </message>
    <message>
        <source>Reply latency percentiles</source>
        <translation>Perzentile der Antwortlatenz</translation>
    </message>
    <message>
        <source>Show percentiles</source>
        <translation>Perzentile anzeigen</translation>
    </message>
    <message>
        <source>Show distribution</source>
        <translation>Verteilung anzeigen</translation>
    </message>
    <message>
        <source>No agent replies with a latency yet</source>
        <translation>Noch keine Agent-Antworten mit Latenz</translation>
    </message>
    <message>
        <source>Export Chart</source>
        <translation>Diagramm exportieren</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG-Bilder (*.png)</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::Demo</name>
    <message>
        <source>Could not create the data directory %1: check its parent is writable, or set XDG_DATA_HOME.</source>
        <translation>Das Datenverzeichnis %1 konnte nicht erstellt werden: Prüfen Sie, ob das übergeordnete Verzeichnis beschreibbar ist, oder setzen Sie XDG_DATA_HOME.</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>Demo</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::HealthPage</name>
    <message>
        <source>%1, %2, %3, %4</source>
        <translation>%1, %2, %3, %4</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n Fehler</numerusform>
            <numerusform>%n Fehler</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s)</source>
        <translation>
            <numerusform>%n Warnung</numerusform>
            <numerusform>%n Warnungen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n note(s)</source>
        <translation>
            <numerusform>%n Hinweis</numerusform>
            <numerusform>%n Hinweise</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n not checked</source>
        <translation>
            <numerusform>%n nicht geprüft</numerusform>
            <numerusform>%n nicht geprüft</numerusform>
        </translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>%1 wird geprüft …</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Wird geprüft …</translation>
    </message>
    <message>
        <source>Checked %1 (%2, schema version %3) in %4 ms.</source>
        <translation>%1 (%2, Schemaversion %3) in %4 ms geprüft.</translation>
    </message>
    <message>
        <source>The doctor could not run [%1].</source>
        <translation>Der Doctor konnte nicht ausgeführt werden [%1].</translation>
    </message>
    <message>
        <source>Not checked: %1.</source>
        <translation>Nicht geprüft: %1.</translation>
    </message>
    <message>
        <source>Passed: nothing found.</source>
        <translation>Bestanden: nichts gefunden.</translation>
    </message>
    <message>
        <source>%1 found, the first %2:</source>
        <translation>%1 gefunden, die ersten %2:</translation>
    </message>
    <message numerus="yes">
        <source>%n found:</source>
        <translation>
            <numerusform>%n gefunden:</numerusform>
            <numerusform>%n gefunden:</numerusform>
        </translation>
    </message>
    <message>
        <source>Hint:</source>
        <translation>Hinweis:</translation>
    </message>
    <message>
        <source>Click a row to open its conversation.</source>
        <translation>Klicken Sie auf eine Zeile, um ihr Gespräch zu öffnen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::LoadPanel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>msg/s</source>
        <translation>Nachr./s</translation>
    </message>
    <message>
        <source>messages sent per second</source>
        <translation>gesendete Nachrichten pro Sekunde</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>reply p50</source>
        <translation>Antwort p50</translation>
    </message>
    <message>
        <source>reply p95</source>
        <translation>Antwort p95</translation>
    </message>
    <message>
        <source>reply p99</source>
        <translation>Antwort p99</translation>
    </message>
    <message>
        <source>No run yet</source>
        <translation>Noch kein Lauf</translation>
    </message>
    <message>
        <source>%.0f s</source>
        <comment>seconds since the start of the run on a chart&apos;s time axis</comment>
        <translation>%.0f s</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Open a Scenario</source>
        <translation>Szenario öffnen</translation>
    </message>
    <message>
        <source>Scenarios (*.json);;All files (*)</source>
        <translation>Szenarien (*.json);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>After each session, compare what it said with the database</source>
        <translation>Nach jeder Sitzung das Gesagte mit der Datenbank abgleichen</translation>
    </message>
    <message>
        <source>Choose a database in the connection bar to compare each session with it</source>
        <translation>Wählen Sie in der Verbindungsleiste eine Datenbank, um jede Sitzung mit ihr abzugleichen</translation>
    </message>
    <message>
        <source>Run the scenario against the server (%1)</source>
        <translation>Das Szenario gegen den Server ausführen (%1)</translation>
    </message>
    <message>
        <source>Stop now</source>
        <translation>Sofort stoppen</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppen</translation>
    </message>
    <message>
        <source>Start no more sessions; open ones finish the turn in flight and end (%1)</source>
        <translation>Keine weiteren Sitzungen starten; offene beenden den laufenden Turn und enden (%1)</translation>
    </message>
    <message>
        <source>Drop the open connections now (%1)</source>
        <translation>Die offenen Verbindungen sofort trennen (%1)</translation>
    </message>
    <message>
        <source>Connect to a server first.</source>
        <translation>Verbinden Sie sich zuerst mit einem Server.</translation>
    </message>
    <message>
        <source>Choose a scenario that loads.</source>
        <translation>Wählen Sie ein Szenario, das sich laden lässt.</translation>
    </message>
    <message>
        <source>The run could not start: %1</source>
        <translation>Der Lauf konnte nicht starten: %1</translation>
    </message>
    <message>
        <source>%v / %m sessions</source>
        <translation>%v / %m Sitzungen</translation>
    </message>
    <message numerus="yes">
        <source>Running %1 with %n session(s).</source>
        <translation>
            <numerusform>%1 wird mit %n Sitzung ausgeführt.</numerusform>
            <numerusform>%1 wird mit %n Sitzungen ausgeführt.</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopping: open sessions finish the turn in flight and end.</source>
        <translation>Wird gestoppt: Offene Sitzungen beenden den laufenden Turn und enden.</translation>
    </message>
    <message>
        <source>Stopping now: the open connections are dropped.</source>
        <translation>Sofortiger Stopp: Die offenen Verbindungen werden getrennt.</translation>
    </message>
    <message>
        <source>The run is over: %1 of %2 session(s) completed, %3 failed.</source>
        <translation>Der Lauf ist vorüber: %1 von %2 Sitzung(en) abgeschlossen, %3 fehlgeschlagen.</translation>
    </message>
    <message>
        <source>%1 of %2 sessions done</source>
        <translation>%1 von %2 Sitzungen fertig</translation>
    </message>
    <message>
        <source>%1 open</source>
        <translation>%1 offen</translation>
    </message>
    <message>
        <source>%1 msg/s</source>
        <translation>%1 Nachr./s</translation>
    </message>
    <message>
        <source>reply p95 %1</source>
        <translation>Antwort p95 %1</translation>
    </message>
    <message>
        <source>reply p95 –</source>
        <translation>Antwort p95 –</translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n Fehler</numerusform>
            <numerusform>%n Fehler</numerusform>
        </translation>
    </message>
    <message>
        <source>verifying %1</source>
        <translation>verifiziere %1</translation>
    </message>
    <message>
        <source>stopping…</source>
        <translation>wird gestoppt …</translation>
    </message>
    <message>
        <source>The run could not take place: %1</source>
        <translation>Der Lauf konnte nicht stattfinden: %1</translation>
    </message>
    <message>
        <source>Passed</source>
        <translation>Bestanden</translation>
    </message>
    <message>
        <source>Failed: %1 threshold(s) failed, %2 finding(s)</source>
        <translation>Fehlgeschlagen: %1 Schwellenwert(e) verfehlt, %2 Befund(e)</translation>
    </message>
    <message>
        <source>(stopped early)</source>
        <translation>(vorzeitig gestoppt)</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
    <message>
        <source>%1 completed, %2 failed, of %3 planned (%4 started)</source>
        <translation>%1 abgeschlossen, %2 fehlgeschlagen, von %3 geplanten (%4 begonnen)</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <source>%1 sent, %2 acknowledged, %3 persisted</source>
        <translation>%1 gesendet, %2 bestätigt, %3 persistiert</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Durchsatz</translation>
    </message>
    <message>
        <source>%1 messages/s, %2 replies/s over %3 s, at most %4 sessions at once</source>
        <translation>%1 Nachrichten/s, %2 Antworten/s über %3 s, höchstens %4 Sitzungen gleichzeitig</translation>
    </message>
    <message>
        <source>Reply latency</source>
        <translation>Antwortlatenz</translation>
    </message>
    <message>
        <source>no replies</source>
        <translation>keine Antworten</translation>
    </message>
    <message>
        <source>p50 %1, p95 %2, p99 %3</source>
        <translation>p50 %1, p95 %2, p99 %3</translation>
    </message>
    <message>
        <source>%1: %2 (at most %3)</source>
        <translation>%1: %2 (höchstens %3)</translation>
    </message>
    <message>
        <source>%1: %2 (at least %3)</source>
        <translation>%1: %2 (mindestens %3)</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>bestanden</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Schwellenwerte</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>Verifizierung</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>nicht ausgeführt</translation>
    </message>
    <message>
        <source>0 findings: the database matches the conversations</source>
        <translation>0 Befunde: Die Datenbank stimmt mit den Gesprächen überein</translation>
    </message>
    <message numerus="yes">
        <source>%n finding(s)</source>
        <translation>
            <numerusform>%n Befund</numerusform>
            <numerusform>%n Befunde</numerusform>
        </translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… und %1 weitere</translation>
    </message>
    <message>
        <source>Errors</source>
        <translation>Fehler</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::MainWindow</name>
    <message>
        <source>&amp;Health</source>
        <translation>&amp;Zustand</translation>
    </message>
    <message>
        <source>About Voxtrack</source>
        <translation>Über Voxtrack</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>nicht verfügbar</translation>
    </message>
    <message>
        <source>S&amp;imulator</source>
        <translation>S&amp;imulator</translation>
    </message>
    <message>
        <source>&amp;Sessions</source>
        <translation>&amp;Sitzungen</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Gespräch</translation>
    </message>
    <message>
        <source>&amp;Dashboard</source>
        <translation>&amp;Dashboard</translation>
    </message>
    <message>
        <source>Activity</source>
        <translation>Aktivität</translation>
    </message>
    <message>
        <source>&amp;Activity Log</source>
        <translation>Akti&amp;vitätsprotokoll</translation>
    </message>
    <message>
        <source>No server</source>
        <translation>Kein Server</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Keine Datenbank</translation>
    </message>
    <message>
        <source>Server %1</source>
        <translation>Server %1</translation>
    </message>
    <message>
        <source>Live: connecting…</source>
        <translation>Live: Verbindung wird hergestellt …</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>Live</translation>
    </message>
    <message>
        <source>Live updates lost</source>
        <translation>Live-Aktualisierung verloren</translation>
    </message>
    <message>
        <source>PostgreSQL %1</source>
        <translation>PostgreSQL %1</translation>
    </message>
    <message>
        <source>SQLite %1</source>
        <translation>SQLite %1</translation>
    </message>
    <message>
        <source>Voxtrack</source>
        <translation>Voxtrack</translation>
    </message>
    <message>
        <source>Voxtrack — %1</source>
        <translation>Voxtrack — %1</translation>
    </message>
    <message>
        <source>Quit Voxtrack?</source>
        <translation>Voxtrack beenden?</translation>
    </message>
    <message>
        <source>A load run is going. Quitting stops it: open sessions are dropped without their end. Quit anyway?</source>
        <translation>Ein Lasttest läuft. Beenden stoppt ihn: Offene Sitzungen werden ohne ihr Ende abgebrochen. Trotzdem beenden?</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;A monitoring and test harness for voice-agent backends that track conversations in a database: a simulated voice client that drives conversations, one by hand or thousands at once, and a live inspector of the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite, with the faults that break tracking found by the doctor.&lt;/p&gt;&lt;p&gt;Qt %2 (built with Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Passwords kept in the system keychain through QtKeychain&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;Eine Überwachungs- und Testumgebung für Voice-Agent-Backends, die Gespräche in einer Datenbank aufzeichnen: ein simulierter Voice-Client, der Gespräche führt, einzeln von Hand oder Tausende gleichzeitig, und ein Live-Inspektor der Tabellen conversation_sessions und conversation_messages unter PostgreSQL oder SQLite, wobei der Doctor die Fehler findet, die die Aufzeichnung stören.&lt;/p&gt;&lt;p&gt;Qt %2 (erstellt mit Qt %3)&lt;br/&gt;SQLite %4&lt;br/&gt;Passwörter werden über QtKeychain im Schlüsselbund des Systems aufbewahrt&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SessionsPage</name>
    <message>
        <source>Write the metadata filter as key=value, for example channel=phone.</source>
        <translation>Schreiben Sie den Metadatenfilter als key=value, zum Beispiel channel=phone.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen …</translation>
    </message>
    <message>
        <source>No database</source>
        <translation>Keine Datenbank</translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) so far, counting…</source>
        <translation>
            <numerusform>Bisher %n Sitzung, Zählung läuft …</numerusform>
            <numerusform>Bisher %n Sitzungen, Zählung läuft …</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation>
            <numerusform>%n Sitzung</numerusform>
            <numerusform>%n Sitzungen</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SettingsDialog</name>
    <message>
        <source>System default</source>
        <translation>Systemstandard</translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SimulatorPage</name>
    <message>
        <source>Hello!</source>
        <translation>Hallo!</translation>
    </message>
    <message>
        <source>What&apos;s the price of Tesla?</source>
        <translation>Wie ist der Kurs von Tesla?</translation>
    </message>
    <message>
        <source>And the price of Apple?</source>
        <translation>Und der Kurs von Apple?</translation>
    </message>
    <message>
        <source>What can you do?</source>
        <translation>Was können Sie?</translation>
    </message>
    <message>
        <source>Thanks, that&apos;s all.</source>
        <translation>Danke, das ist alles.</translation>
    </message>
    <message>
        <source>Goodbye</source>
        <translation>Auf Wiederhören</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <source>Open a new session with the server as this user (%1)</source>
        <translation>Eine neue Sitzung mit dem Server als dieser Benutzer öffnen (%1)</translation>
    </message>
    <message>
        <source>End the session: the server records its end and duration (%1)</source>
        <translation>Die Sitzung beenden: Der Server zeichnet ihr Ende und ihre Dauer auf (%1)</translation>
    </message>
    <message>
        <source>Say it to the agent (Return or %1)</source>
        <translation>Dem Agenten sagen (Eingabetaste oder %1)</translation>
    </message>
    <message>
        <source>There is no server to talk to: enter its URL in the connection bar first.</source>
        <translation>Es gibt keinen Server, mit dem gesprochen werden kann: Geben Sie zuerst seine URL in der Verbindungsleiste ein.</translation>
    </message>
    <message>
        <source>No session is open: start one (%1), then say something.</source>
        <translation>Keine Sitzung ist offen: Starten Sie eine (%1) und sagen Sie dann etwas.</translation>
    </message>
    <message>
        <source>There is nothing to say: type what the user says, or pick one of the phrases.</source>
        <translation>Es gibt nichts zu sagen: Geben Sie ein, was der Benutzer sagt, oder wählen Sie eine der Phrasen.</translation>
    </message>
    <message>
        <source>Session %1 started for %2.</source>
        <translation>Sitzung %1 für %2 gestartet.</translation>
    </message>
    <message>
        <source>Session %1 started.</source>
        <translation>Sitzung %1 gestartet.</translation>
    </message>
    <message>
        <source>reply in %1 ms</source>
        <translation>Antwort in %1 ms</translation>
    </message>
    <message>
        <source>saved in %1 ms</source>
        <translation>gespeichert in %1 ms</translation>
    </message>
    <message numerus="yes">
        <source>Session ended after %1 with %n message(s) stored.</source>
        <translation>
            <numerusform>Sitzung nach %1 beendet, %n Nachricht gespeichert.</numerusform>
            <numerusform>Sitzung nach %1 beendet, %n Nachrichten gespeichert.</numerusform>
        </translation>
    </message>
    <message>
        <source>Session %1 ended.</source>
        <translation>Sitzung %1 beendet.</translation>
    </message>
    <message>
        <source>No server: start one or enter its URL in the connection bar to talk to its agent.</source>
        <translation>Kein Server: Starten Sie einen oder geben Sie seine URL in der Verbindungsleiste ein, um mit seinem Agenten zu sprechen.</translation>
    </message>
    <message>
        <source>Start a session (%1), then type what the user says or pick one of the phrases.</source>
        <translation>Starten Sie eine Sitzung (%1) und geben Sie dann ein, was der Benutzer sagt, oder wählen Sie eine der Phrasen.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbindung mit %1 wird hergestellt …</translation>
    </message>
    <message>
        <source>No session</source>
        <translation>Keine Sitzung</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>ending…</source>
        <translation>wird beendet …</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>beendet</translation>
    </message>
    <message numerus="yes">
        <source>Session %1 · %2 · %n turn(s) · %3</source>
        <translation>
            <numerusform>Sitzung %1 · %2 · %n Turn · %3</numerusform>
            <numerusform>Sitzung %1 · %2 · %n Turns · %3</numerusform>
        </translation>
    </message>
    <message>
        <source>How is Nvidia doing today?</source>
        <translation>Wie steht Nvidia heute?</translation>
    </message>
    <message>
        <source>What about Microsoft?</source>
        <translation>Und Microsoft?</translation>
    </message>
    <message>
        <source>spoken · %1</source>
        <translation>gesprochen · %1</translation>
    </message>
    <message>
        <source>Also play the speech on this computer while it is sent</source>
        <translation>Die Sprache beim Senden auch auf diesem Computer abspielen</translation>
    </message>
    <message>
        <source>There is no audio output device: connect speakers or headphones to hear the speech.</source>
        <translation>Es gibt kein Audioausgabegerät: Schließen Sie Lautsprecher oder Kopfhörer an, um die Sprache zu hören.</translation>
    </message>
</context>
<context>
    <name>voxtrack::json</name>
    <message>
        <source>an empty string</source>
        <translation>eine leere Zeichenkette</translation>
    </message>
    <message>
        <source>%1 (%2 characters)</source>
        <translation>%1 (%2 Zeichen)</translation>
    </message>
    <message>
        <source>an array</source>
        <translation>ein Array</translation>
    </message>
    <message>
        <source>an object</source>
        <translation>ein Objekt</translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>nichts</translation>
    </message>
    <message>
        <source>%1: the key is missing: add it as %2.</source>
        <translation>%1: Der Schlüssel fehlt: Fügen Sie ihn als %2 hinzu.</translation>
    </message>
    <message>
        <source>%1: expected %2, not %3: fix the value.</source>
        <translation>%1: %2 erwartet, nicht %3: Korrigieren Sie den Wert.</translation>
    </message>
    <message>
        <source>%1: the key is not known: use one of %2 (keys starting with &quot;_&quot; are comments).</source>
        <translation>%1: Der Schlüssel ist unbekannt: Verwenden Sie einen von %2 (Schlüssel, die mit &quot;_&quot; beginnen, sind Kommentare).</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>eine nicht leere Zeichenkette</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>eine Zeichenkette</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true oder false</translation>
    </message>
    <message>
        <source>the number 1</source>
        <translation>die Zahl 1</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActiveSessionsModel</name>
    <message>
        <source>Active sessions</source>
        <translation>Aktive Sitzungen</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActivityLog</name>
    <message numerus="yes">
        <source>… and %n more message(s) saved in the same write</source>
        <translation>
            <numerusform>… und %n weitere Nachricht im selben Schreibvorgang gespeichert</numerusform>
            <numerusform>… und %n weitere Nachrichten im selben Schreibvorgang gespeichert</numerusform>
        </translation>
    </message>
    <message>
        <source>Started session %1 for user %2</source>
        <translation>Sitzung %1 für Benutzer %2 begonnen</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <source>Ended session %1 (duration: %2 s, messages: %3, reason: %4)</source>
        <translation>Sitzung %1 beendet (Dauer: %2 s, Nachrichten: %3, Grund: %4)</translation>
    </message>
    <message>
        <source>Saved a message with the role &quot;%1&quot; for session %2: the schema allows user, agent and system</source>
        <translation>Eine Nachricht mit der Rolle &quot;%1&quot; für Sitzung %2 gespeichert: Das Schema erlaubt user, agent und system</translation>
    </message>
    <message>
        <source>Saved %1 message for session %2</source>
        <translation>%1-Nachricht für Sitzung %2 gespeichert</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorReportModel</name>
    <message>
        <source>Passed</source>
        <translation>Bestanden</translation>
    </message>
    <message>
        <source>Not checked</source>
        <translation>Nicht geprüft</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Warnung</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Hinweis</translation>
    </message>
    <message>
        <source>Not checked: %1</source>
        <translation>Nicht geprüft: %1</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Schweregrad</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Prüfung</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Anzahl</translation>
    </message>
    <message>
        <source>Finding</source>
        <translation>Befund</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>Beispiele</translation>
    </message>
    <message>
        <source>Hint</source>
        <translation>Hinweis</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorRunner</name>
    <message>
        <source>The doctor run was cancelled.</source>
        <translation>Der Doctor-Lauf wurde abgebrochen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DurationHistogramModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 h</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::HistogramModel</name>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Bis</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyHistogramModel</name>
    <message>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
    <message>
        <source>Replies</source>
        <translation>Antworten</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyPercentilesModel</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>p%1</source>
        <translation>p%1</translation>
    </message>
    <message>
        <source>%1 % of %2 replies came within this time</source>
        <translation>%1 % von %2 Antworten kamen innerhalb dieser Zeit</translation>
    </message>
    <message>
        <source>Percentile</source>
        <translation>Perzentil</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesByRoleModel</name>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an allowed role (user, agent, system): the doctor lists these messages.</source>
        <translation>&quot;%1&quot; ist keine erlaubte Rolle (user, agent, system): Der Doctor listet diese Nachrichten auf.</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>Anteil</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesModel</name>
    <message>
        <source>Seq</source>
        <translation>Seq</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>Inhalt</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Metadaten</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsModel</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen …</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>beendet</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>Sitzung</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Begonnen</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <source>End reason</source>
        <translation>Beendigungsgrund</translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation>Metadaten</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsPerBucketModel</name>
    <message>
        <source>Sessions started</source>
        <translation>Begonnene Sitzungen</translation>
    </message>
</context>
<context>
    <name>voxtrack::models::TimeSeriesModel</name>
    <message>
        <source>Start (UTC)</source>
        <translation>Beginn (UTC)</translation>
    </message>
</context>
<context>
    <name>voxtrack::protocol</name>
    <message>
        <source>a string of 1 to %1 letters, digits, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; or &quot;-&quot;</source>
        <translation>eine Zeichenkette aus 1 bis %1 Buchstaben, Ziffern, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; oder &quot;-&quot;</translation>
    </message>
    <message>
        <source>%1 or null</source>
        <translation>%1 oder null</translation>
    </message>
    <message>
        <source>a string</source>
        <translation>eine Zeichenkette</translation>
    </message>
    <message>
        <source>a string or null</source>
        <translation>eine Zeichenkette oder null</translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation>eine nicht leere Zeichenkette</translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation>ein JSON-Objekt</translation>
    </message>
    <message>
        <source>&quot;%1&quot; (16-bit little-endian mono PCM)</source>
        <translation>&quot;%1&quot; (16-Bit-Little-Endian-Mono-PCM)</translation>
    </message>
    <message>
        <source>an integer from %1 to %2</source>
        <translation>eine ganze Zahl von %1 bis %2</translation>
    </message>
    <message>
        <source>an integer of at least 1</source>
        <translation>eine ganze Zahl von mindestens 1</translation>
    </message>
    <message>
        <source>an integer of at least 0</source>
        <translation>eine ganze Zahl von mindestens 0</translation>
    </message>
    <message>
        <source>a number of seconds of at least 0</source>
        <translation>eine Anzahl Sekunden von mindestens 0</translation>
    </message>
    <message>
        <source>a UTC time with milliseconds such as &quot;2025-10-18T09:30:00.123Z&quot;</source>
        <translation>eine UTC-Zeit mit Millisekunden wie &quot;2025-10-18T09:30:00.123Z&quot;</translation>
    </message>
    <message>
        <source>a UUID such as &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</source>
        <translation>eine UUID wie &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>einer von %1</translation>
    </message>
    <message>
        <source>The field &quot;role&quot; must be a string, not %1: use one of %2.</source>
        <translation>Das Feld &quot;role&quot; muss eine Zeichenkette sein, nicht %1: Verwenden Sie einen von %2.</translation>
    </message>
    <message>
        <source>The %1 frame has no &quot;%2&quot; field: add it as %3.</source>
        <translation>Der Frame %1 hat kein Feld &quot;%2&quot;: Fügen Sie es als %3 hinzu.</translation>
    </message>
    <message>
        <source>The field &quot;%1&quot; of the %2 frame must be %3, not %4.</source>
        <translation>Das Feld &quot;%1&quot; des Frames %2 muss %3 sein, nicht %4.</translation>
    </message>
    <message>
        <source>The frame is not valid JSON (%1 at byte %2): send one UTF-8 JSON object per text frame.</source>
        <translation>Der Frame ist kein gültiges JSON (%1 bei Byte %2): Senden Sie ein UTF-8-JSON-Objekt pro Text-Frame.</translation>
    </message>
    <message>
        <source>The frame is %1, not a JSON object: send one object with a &quot;type&quot; field per text frame.</source>
        <translation>Der Frame ist %1, kein JSON-Objekt: Senden Sie pro Text-Frame ein Objekt mit einem Feld &quot;type&quot;.</translation>
    </message>
    <message>
        <source>The frame has no &quot;type&quot;: add one such as &quot;user.message&quot;.</source>
        <translation>Der Frame hat kein &quot;type&quot;: Fügen Sie eines wie &quot;user.message&quot; hinzu.</translation>
    </message>
    <message>
        <source>The field &quot;type&quot; must be a string such as &quot;user.message&quot;, not %1.</source>
        <translation>Das Feld &quot;type&quot; muss eine Zeichenkette wie &quot;user.message&quot; sein, nicht %1.</translation>
    </message>
    <message>
        <source>The frame type %1 is not known: use one of %2.</source>
        <translation>Der Frame-Typ %1 ist unbekannt: Verwenden Sie einen von %2.</translation>
    </message>
    <message>
        <source>The text frame is %1 bytes, more than the limit of %2 bytes: send a shorter message.</source>
        <translation>Der Text-Frame hat %1 Bytes, mehr als die Grenze von %2 Bytes: Senden Sie eine kürzere Nachricht.</translation>
    </message>
    <message>
        <source>The audio %1 is still open: send audio.end for it before audio.start %2.</source>
        <translation>Das Audio %1 ist noch offen: Senden Sie dafür audio.end vor audio.start %2.</translation>
    </message>
    <message>
        <source>No audio is open for audio.end %1: send audio.start with that id before the PCM data.</source>
        <translation>Für audio.end %1 ist kein Audio offen: Senden Sie audio.start mit dieser ID vor den PCM-Daten.</translation>
    </message>
    <message>
        <source>The audio.end id %1 does not match the open audio %2: end %2 first.</source>
        <translation>Die audio.end-ID %1 passt nicht zum offenen Audio %2: Beenden Sie zuerst %2.</translation>
    </message>
    <message>
        <source>A binary frame of %1 bytes arrived with no audio open: send audio.start before the PCM data.</source>
        <translation>Ein Binär-Frame mit %1 Bytes ist angekommen, ohne dass ein Audio offen ist: Senden Sie audio.start vor den PCM-Daten.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConnectionWorker</name>
    <message>
        <source>The server is shutting down: connect again later.</source>
        <translation>Der Server wird heruntergefahren: Verbinden Sie sich später erneut.</translation>
    </message>
    <message>
        <source>This endpoint speaks WebSocket: connect with ws://…%1.</source>
        <translation>Dieser Endpunkt spricht WebSocket: Verbinden Sie sich mit ws://…%1.</translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation>Hier wird nur GET bedient.</translation>
    </message>
    <message>
        <source>Nothing is served at %1: the endpoints are %2, /healthz and /metrics.</source>
        <translation>Unter %1 wird nichts bereitgestellt: Die Endpunkte sind %2, /healthz und /metrics.</translation>
    </message>
    <message>
        <source>No user: this server runs without authentication, so add ?user_id=&lt;id&gt; to the URL.</source>
        <translation>Kein Benutzer: Dieser Server läuft ohne Authentifizierung, fügen Sie der URL daher ?user_id=&lt;id&gt; hinzu.</translation>
    </message>
    <message>
        <source>No credentials: send the header &quot;Authorization: Bearer &lt;token&gt;&quot; with a token signed with the server&apos;s secret.</source>
        <translation>Keine Anmeldedaten: Senden Sie den Header &quot;Authorization: Bearer &lt;token&gt;&quot; mit einem Token, das mit dem Geheimnis des Servers signiert ist.</translation>
    </message>
    <message>
        <source>The metadata query parameter is not a JSON object: send ?metadata= with a URL-encoded object such as {&quot;channel&quot;:&quot;web&quot;}.</source>
        <translation>Der Abfrageparameter metadata ist kein JSON-Objekt: Senden Sie ?metadata= mit einem URL-kodierten Objekt wie {&quot;channel&quot;:&quot;web&quot;}.</translation>
    </message>
    <message>
        <source>The server holds its maximum of %1 sessions: try again later.</source>
        <translation>Der Server hält sein Maximum von %1 Sitzungen: Versuchen Sie es später erneut.</translation>
    </message>
    <message>
        <source>This session has ended and takes no more frames: open a new connection for a new session.</source>
        <translation>Diese Sitzung ist beendet und nimmt keine Frames mehr an: Öffnen Sie eine neue Verbindung für eine neue Sitzung.</translation>
    </message>
    <message>
        <source>No audio is stored under %1: audio URLs come from the audio_url of a stored message.</source>
        <translation>Unter %1 ist kein Audio gespeichert: Audio-URLs stammen aus der audio_url einer gespeicherten Nachricht.</translation>
    </message>
    <message>
        <source>The range %1 lies outside the %2 bytes of this file: ask for bytes below %2.</source>
        <translation>Der Bereich %1 liegt außerhalb der %2 Bytes dieser Datei: Fordern Sie Bytes unterhalb von %2 an.</translation>
    </message>
    <message>
        <source>This server stores no audio (it runs with --audio-dir none): send the transcript as a user.message instead.</source>
        <translation>Dieser Server speichert kein Audio (er läuft mit --audio-dir none): Senden Sie das Transkript stattdessen als user.message.</translation>
    </message>
    <message>
        <source>The audio &quot;%1&quot; is longer than %2 s: it was dropped; send shorter utterances, or start the server with a larger --max-audio-seconds.</source>
        <translation>Das Audio „%1“ ist länger als %2 s: Es wurde verworfen; senden Sie kürzere Äußerungen oder starten Sie den Server mit einem größeren --max-audio-seconds.</translation>
    </message>
    <message>
        <source>This server stores no audio.</source>
        <translation>Dieser Server speichert kein Audio.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConversationServer</name>
    <message>
        <source>Cannot listen on %1:%2 (%3): choose another --listen address or port, or stop what uses it.</source>
        <translation>Lauschen auf %1:%2 nicht möglich (%3): Wählen Sie eine andere --listen-Adresse oder einen anderen Port, oder beenden Sie, was ihn belegt.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::EmbeddedServer</name>
    <message>
        <source>No temporary directory for the journal: %1. Free some space or set TMPDIR.</source>
        <translation>Kein temporäres Verzeichnis für das Journal: %1. Geben Sie Speicherplatz frei oder setzen Sie TMPDIR.</translation>
    </message>
    <message>
        <source>Could not create the journal directory %1: check its parent is writable.</source>
        <translation>Das Journal-Verzeichnis %1 konnte nicht erstellt werden: Prüfen Sie, ob das übergeordnete Verzeichnis beschreibbar ist.</translation>
    </message>
    <message>
        <source>No temporary directory for the audio: %1. Free some space or set TMPDIR.</source>
        <translation>Kein temporäres Verzeichnis für das Audio: %1. Schaffen Sie Platz oder setzen Sie TMPDIR.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::Jwt</name>
    <message>
        <source>header</source>
        <translation>Header</translation>
    </message>
    <message>
        <source>payload</source>
        <translation>Payload</translation>
    </message>
    <message>
        <source>signature</source>
        <translation>Signatur</translation>
    </message>
    <message>
        <source>The server has no JWT secret to verify tokens with: configure the project&apos;s JWT secret.</source>
        <translation>Der Server hat kein JWT-Geheimnis, um Tokens zu prüfen: Konfigurieren Sie das JWT-Geheimnis des Projekts.</translation>
    </message>
    <message>
        <source>The bearer token is empty: send the access token after &quot;Bearer &quot;.</source>
        <translation>Das Bearer-Token ist leer: Senden Sie das Zugriffstoken nach &quot;Bearer &quot;.</translation>
    </message>
    <message>
        <source>The token has %1 parts separated by &quot;.&quot;, not 3: send a JWT (header.payload.signature) exactly as it was issued.</source>
        <translation>Das Token hat %1 durch &quot;.&quot; getrennte Teile statt 3: Senden Sie ein JWT (header.payload.signature) genau so, wie es ausgestellt wurde.</translation>
    </message>
    <message>
        <source>The token&apos;s %1 is not valid base64url: send the token exactly as it was issued.</source>
        <translation>Der Teil %1 des Tokens ist kein gültiges base64url: Senden Sie das Token genau so, wie es ausgestellt wurde.</translation>
    </message>
    <message>
        <source>The token&apos;s header is not a JSON object: send a JWT as it was issued.</source>
        <translation>Der Header des Tokens ist kein JSON-Objekt: Senden Sie ein JWT so, wie es ausgestellt wurde.</translation>
    </message>
    <message>
        <source>The token&apos;s header has no &quot;alg&quot; naming its algorithm: send an HS256 token as Supabase issues them.</source>
        <translation>Der Header des Tokens hat kein &quot;alg&quot;, das seinen Algorithmus nennt: Senden Sie ein HS256-Token, wie Supabase es ausstellt.</translation>
    </message>
    <message>
        <source>The token is not signed (algorithm &quot;none&quot;): send a token signed with HS256, as Supabase issues them.</source>
        <translation>Das Token ist nicht signiert (Algorithmus &quot;none&quot;): Senden Sie ein mit HS256 signiertes Token, wie Supabase es ausstellt.</translation>
    </message>
    <message>
        <source>The token is signed with the algorithm %1, not HS256: send an HS256 token, as Supabase issues them.</source>
        <translation>Das Token ist mit dem Algorithmus %1 signiert, nicht mit HS256: Senden Sie ein HS256-Token, wie Supabase es ausstellt.</translation>
    </message>
    <message>
        <source>The token&apos;s header has critical extensions (&quot;crit&quot;) this server does not understand: send a plain HS256 token.</source>
        <translation>Der Header des Tokens hat kritische Erweiterungen (&quot;crit&quot;), die dieser Server nicht versteht: Senden Sie ein einfaches HS256-Token.</translation>
    </message>
    <message>
        <source>The token&apos;s signature does not verify: check that the server has the JWT secret of the project that issued the token, and send the token unaltered.</source>
        <translation>Die Signatur des Tokens lässt sich nicht verifizieren: Prüfen Sie, ob der Server das JWT-Geheimnis des Projekts hat, das das Token ausgestellt hat, und senden Sie das Token unverändert.</translation>
    </message>
    <message>
        <source>The token&apos;s payload is not a JSON object: send a JWT as it was issued.</source>
        <translation>Die Payload des Tokens ist kein JSON-Objekt: Senden Sie ein JWT so, wie es ausgestellt wurde.</translation>
    </message>
    <message>
        <source>The token has no user id (a non-empty string &quot;sub&quot; claim): use the access token of a signed-in user.</source>
        <translation>Das Token hat keine Benutzer-ID (eine nicht leere Zeichenkette im Claim &quot;sub&quot;): Verwenden Sie das Zugriffstoken eines angemeldeten Benutzers.</translation>
    </message>
    <message>
        <source>The token has no expiry (&quot;exp&quot; claim) and tokens that never expire are refused: issue one with an expiry.</source>
        <translation>Das Token hat kein Ablaufdatum (Claim &quot;exp&quot;), und Tokens, die nie ablaufen, werden abgelehnt: Stellen Sie eines mit Ablaufdatum aus.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;exp&quot; claim is not a time in seconds since 1970: issue a token with a valid expiry.</source>
        <translation>Der Claim &quot;exp&quot; des Tokens ist keine Zeit in Sekunden seit 1970: Stellen Sie ein Token mit gültigem Ablaufdatum aus.</translation>
    </message>
    <message>
        <source>The token&apos;s &quot;%1&quot; claim is not a time in seconds since 1970: issue a token with valid times.</source>
        <translation>Der Claim &quot;%1&quot; des Tokens ist keine Zeit in Sekunden seit 1970: Stellen Sie ein Token mit gültigen Zeiten aus.</translation>
    </message>
    <message>
        <source>The token expired at %1: sign in again to get a fresh one.</source>
        <translation>Das Token ist um %1 abgelaufen: Melden Sie sich erneut an, um ein neues zu erhalten.</translation>
    </message>
    <message>
        <source>The token is not valid before %1: wait until then, or check the clocks of the issuer and of this server.</source>
        <translation>Das Token ist nicht vor %1 gültig: Warten Sie bis dahin oder prüfen Sie die Uhren des Ausstellers und dieses Servers.</translation>
    </message>
</context>
<context>
    <name>voxtrack::server::RulesAgent</name>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation>eine ganze Zahl von Millisekunden von 0 bis %1</translation>
    </message>
    <message>
        <source>%1: the &quot;}&quot; at offset %2 closes no placeholder: write }} for a literal brace.</source>
        <translation>%1: Die &quot;}&quot; an Position %2 schließt keinen Platzhalter: Schreiben Sie }} für eine wörtliche Klammer.</translation>
    </message>
    <message>
        <source>%1: the &quot;{&quot; at offset %2 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation>%1: Die &quot;{&quot; an Position %2 wird nicht geschlossen: Beenden Sie den Platzhalter mit &quot;}&quot; oder schreiben Sie {{ für eine wörtliche Klammer.</translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: use {text}, {user_id}, {session_id} or {1} to {9}, and {{ and }} for literal braces.</source>
        <translation>%1: Der Platzhalter {%2} ist unbekannt: Verwenden Sie {text}, {user_id}, {session_id} oder {1} bis {9} und {{ und }} für wörtliche Klammern.</translation>
    </message>
    <message>
        <source>an object with &quot;match&quot; and &quot;reply&quot;</source>
        <translation>ein Objekt mit &quot;match&quot; und &quot;reply&quot;</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true oder false</translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation>%1: Der reguläre Ausdruck ist ungültig (%2 an Position %3): Korrigieren Sie das Muster.</translation>
    </message>
    <message>
        <source>The rules are not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation>Die Regeln sind kein gültiges JSON (%1 bei Byte %2): Korrigieren Sie die Datei an dieser Stelle.</translation>
    </message>
    <message>
        <source>The rules are an array, not a JSON object: write one object with &quot;version&quot; and &quot;rules&quot;.</source>
        <translation>Die Regeln sind ein Array, kein JSON-Objekt: Schreiben Sie ein Objekt mit &quot;version&quot; und &quot;rules&quot;.</translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write rules of version 1, as docs/agent-rules.md describes.</source>
        <translation>version: Die Version %1 wird nicht unterstützt: Schreiben Sie Regeln der Version 1, wie in docs/agent-rules.md beschrieben.</translation>
    </message>
    <message>
        <source>an array of rules (it may be empty)</source>
        <translation>ein Array von Regeln (darf leer sein)</translation>
    </message>
    <message>
        <source>an array of rules</source>
        <translation>ein Array von Regeln</translation>
    </message>
    <message>
        <source>an object with &quot;reply&quot;</source>
        <translation>ein Objekt mit &quot;reply&quot;</translation>
    </message>
    <message>
        <source>The rules file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation>Die Regeldatei %1 kann nicht gelesen werden (%2): Prüfen Sie den Pfad und seine Berechtigungen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::speech</name>
    <message>
        <source>espeak-ng could not start: install espeak-ng-data (or set ESPEAK_DATA_PATH to its directory).</source>
        <translation>espeak-ng konnte nicht starten: Installieren Sie espeak-ng-data (oder setzen Sie ESPEAK_DATA_PATH auf dessen Verzeichnis).</translation>
    </message>
    <message>
        <source>The speech rate %1 is out of range: use %2 to %3 words per minute.</source>
        <translation>Die Sprechgeschwindigkeit %1 liegt außerhalb des Bereichs: Verwenden Sie %2 bis %3 Wörter pro Minute.</translation>
    </message>
    <message>
        <source>The voice &quot;%1&quot; is not known to espeak-ng: use one such as en-us, en-gb or de (espeak-ng --voices lists them all).</source>
        <translation>Die Stimme „%1“ ist espeak-ng nicht bekannt: Verwenden Sie eine wie en-us, en-gb oder de (espeak-ng --voices listet alle auf).</translation>
    </message>
    <message>
        <source>There is no text to speak: give a sentence to say.</source>
        <translation>Es gibt keinen Text zum Sprechen: Geben Sie einen Satz an.</translation>
    </message>
    <message>
        <source>espeak-ng failed to speak the text (error %1): check that espeak-ng-data is complete.</source>
        <translation>espeak-ng konnte den Text nicht sprechen (Fehler %1): Prüfen Sie, ob espeak-ng-data vollständig ist.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store</name>
    <message>
        <source>the local socket</source>
        <translation>den lokalen Socket</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the login of user &quot;%2&quot; (%3): check the user and password in the URL, PGPASSWORD or ~/.pgpass.</source>
        <translation>PostgreSQL unter %1 hat die Anmeldung des Benutzers &quot;%2&quot; abgelehnt (%3): Prüfen Sie Benutzer und Passwort in der URL, PGPASSWORD oder ~/.pgpass.</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 has no database &quot;%2&quot;: create it (createdb %2) or fix the database name in the URL.</source>
        <translation>PostgreSQL unter %1 hat keine Datenbank &quot;%2&quot;: Erstellen Sie sie (createdb %2) oder korrigieren Sie den Datenbanknamen in der URL.</translation>
    </message>
    <message>
        <source>The TLS connection to PostgreSQL at %1 failed (%2): check sslmode and the certificates in the URL.</source>
        <translation>Die TLS-Verbindung zu PostgreSQL unter %1 ist fehlgeschlagen (%2): Prüfen Sie sslmode und die Zertifikate in der URL.</translation>
    </message>
    <message>
        <source>Could not reach PostgreSQL at %1 (%2): start the server, or check the host and port in the URL.</source>
        <translation>PostgreSQL unter %1 ist nicht erreichbar (%2): Starten Sie den Server oder prüfen Sie Host und Port in der URL.</translation>
    </message>
    <message>
        <source>Could not connect to PostgreSQL at %1: %2.</source>
        <translation>Verbindung zu PostgreSQL unter %1 nicht möglich: %2.</translation>
    </message>
    <message>
        <source>%1 keeps sessions in the old shape without a session_id column: upgrade it with voxtrack-cli migrate.</source>
        <translation>%1 speichert Sitzungen in der alten Form ohne Spalte session_id: Aktualisieren Sie sie mit voxtrack-cli migrate.</translation>
    </message>
    <message>
        <source>There is no session &quot;%1&quot; in %2: list the sessions with voxtrack-cli sessions.</source>
        <translation>Es gibt keine Sitzung &quot;%1&quot; in %2: Listen Sie die Sitzungen mit voxtrack-cli sessions auf.</translation>
    </message>
    <message>
        <source>s</source>
        <translation>s</translation>
    </message>
    <message>
        <source>min</source>
        <translation>min</translation>
    </message>
    <message>
        <source>h</source>
        <translation>h</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>&lt; %1 %2</source>
        <translation>&lt; %1 %2</translation>
    </message>
    <message>
        <source>≥ %1 %2</source>
        <translation>≥ %1 %2</translation>
    </message>
    <message>
        <source>%1–%2 %3</source>
        <translation>%1–%2 %3</translation>
    </message>
    <message>
        <source>minute</source>
        <translation>Minute</translation>
    </message>
    <message>
        <source>hour</source>
        <translation>Stunde</translation>
    </message>
    <message>
        <source>day</source>
        <translation>Tag</translation>
    </message>
    <message>
        <source>week</source>
        <translation>Woche</translation>
    </message>
    <message>
        <source>Counting by the %1 from %2 to %3 makes %4 buckets, more than %5: choose a larger bucket or a shorter time range.</source>
        <translation>Die Zählung pro %1 von %2 bis %3 ergibt %4 Intervalle, mehr als %5: Wählen Sie ein größeres Intervall oder einen kürzeren Zeitraum.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::ChangeFeed</name>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>kein Grund angegeben</translation>
    </message>
    <message>
        <source>Connecting to %1 for live updates.</source>
        <translation>Verbindung mit %1 für Live-Aktualisierungen wird hergestellt.</translation>
    </message>
    <message>
        <source>Live updates could not connect to the database (%1): retrying in %2.</source>
        <translation>Live-Aktualisierungen konnten keine Verbindung zur Datenbank herstellen (%1): neuer Versuch in %2.</translation>
    </message>
    <message>
        <source>Live updates could not follow the database (%1): retrying in %2.</source>
        <translation>Live-Aktualisierungen konnten der Datenbank nicht folgen (%1): neuer Versuch in %2.</translation>
    </message>
    <message>
        <source>Following %1 through notifications.</source>
        <translation>%1 wird über Benachrichtigungen gefolgt.</translation>
    </message>
    <message>
        <source>Following %1 by polling every %2.</source>
        <translation>%1 wird durch Abfragen alle %2 gefolgt.</translation>
    </message>
    <message>
        <source>PostgreSQL refused LISTEN %1 (%2)</source>
        <translation>PostgreSQL hat LISTEN %1 abgelehnt (%2)</translation>
    </message>
    <message>
        <source>The database connection was lost (%1): reconnecting in %2.</source>
        <translation>Die Datenbankverbindung ist verloren gegangen (%1): Neuverbindung in %2.</translation>
    </message>
    <message>
        <source>the server closed it</source>
        <translation>der Server hat sie geschlossen</translation>
    </message>
    <message>
        <source>The change notification &quot;%1&quot; is not valid (%2): it is ignored; check that the database&apos;s voxtrack_notify_change() is the one of migration 0003.</source>
        <translation>Die Änderungsbenachrichtigung &quot;%1&quot; ist ungültig (%2): Sie wird ignoriert; prüfen Sie, ob voxtrack_notify_change() der Datenbank die aus Migration 0003 ist.</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>kein JSON-Objekt</translation>
    </message>
    <message>
        <source>unknown member &quot;%1&quot;</source>
        <translation>unbekanntes Element &quot;%1&quot;</translation>
    </message>
    <message>
        <source>the member &quot;%1&quot; is missing</source>
        <translation>das Element &quot;%1&quot; fehlt</translation>
    </message>
    <message>
        <source>t must be &quot;sessions&quot; or &quot;messages&quot;</source>
        <translation>t muss &quot;sessions&quot; oder &quot;messages&quot; sein</translation>
    </message>
    <message>
        <source>op must be &quot;insert&quot; or &quot;update&quot;</source>
        <translation>op muss &quot;insert&quot; oder &quot;update&quot; sein</translation>
    </message>
    <message>
        <source>n must be a whole number of at least 1</source>
        <translation>n muss eine ganze Zahl von mindestens 1 sein</translation>
    </message>
    <message>
        <source>min and max must both be whole numbers, or both null</source>
        <translation>min und max müssen beide ganze Zahlen oder beide null sein</translation>
    </message>
    <message>
        <source>min is greater than max</source>
        <translation>min ist größer als max</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Connection</name>
    <message>
        <source>The Qt SQL driver %1 is not installed: install the package %2 (scripts/setup does).</source>
        <translation>Der Qt-SQL-Treiber %1 ist nicht installiert: Installieren Sie das Paket %2 (scripts/setup erledigt das).</translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: check the path, or create one with voxtrack-cli migrate --db %2.</source>
        <translation>Unter %1 gibt es keine SQLite-Datenbank: Prüfen Sie den Pfad oder erstellen Sie eine mit voxtrack-cli migrate --db %2.</translation>
    </message>
    <message>
        <source>The directory %1 for the SQLite database does not exist: create it or choose another path.</source>
        <translation>Das Verzeichnis %1 für die SQLite-Datenbank existiert nicht: Erstellen Sie es oder wählen Sie einen anderen Pfad.</translation>
    </message>
    <message>
        <source>Could not open the SQLite database %1 (%2): check that the file is a SQLite database and that you may read%3 it.</source>
        <translation>Die SQLite-Datenbank %1 konnte nicht geöffnet werden (%2): Prüfen Sie, ob die Datei eine SQLite-Datenbank ist und ob Sie sie lesen%3 dürfen.</translation>
    </message>
    <message>
        <source> and write</source>
        <translation> und schreiben</translation>
    </message>
    <message>
        <source>The file %1 is not a usable SQLite database (%2): check the path.</source>
        <translation>Die Datei %1 ist keine verwendbare SQLite-Datenbank (%2): Prüfen Sie den Pfad.</translation>
    </message>
    <message>
        <source>PostgreSQL refused the session settings (%1).</source>
        <translation>PostgreSQL hat die Sitzungseinstellungen abgelehnt (%1).</translation>
    </message>
    <message>
        <source>PostgreSQL refused a read-only session (%1).</source>
        <translation>PostgreSQL hat eine schreibgeschützte Sitzung abgelehnt (%1).</translation>
    </message>
    <message>
        <source>The database rejected &quot;%1&quot;: %2.</source>
        <translation>Die Datenbank hat &quot;%1&quot; abgelehnt: %2.</translation>
    </message>
    <message>
        <source>Could not begin a transaction: %1.</source>
        <translation>Transaktion konnte nicht begonnen werden: %1.</translation>
    </message>
    <message>
        <source>Could not commit the transaction: %1.</source>
        <translation>Transaktion konnte nicht festgeschrieben werden: %1.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Doctor</name>
    <message>
        <source>conversation_sessions has no session_id column (the old shape keyed by id)</source>
        <translation>conversation_sessions hat keine Spalte session_id (die alte, über id identifizierte Form)</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate: it adds session_id, fills it from id and makes it NOT NULL and UNIQUE.</source>
        <translation>Führen Sie voxtrack-cli migrate aus: Es fügt session_id hinzu, befüllt sie aus id und macht sie NOT NULL und UNIQUE.</translation>
    </message>
    <message>
        <source>tables or columns of the conversation schema are missing</source>
        <translation>Tabellen oder Spalten des Gesprächsschemas fehlen</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate, or add the listed columns.</source>
        <translation>Führen Sie voxtrack-cli migrate aus oder fügen Sie die aufgeführten Spalten hinzu.</translation>
    </message>
    <message>
        <source>conversation_messages.role has no check constraint</source>
        <translation>conversation_messages.role hat keinen Check-Constraint</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</source>
        <translation>Fügen Sie CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)) hinzu.</translation>
    </message>
    <message>
        <source>the role check does not allow exactly user, agent and system</source>
        <translation>die Rollenprüfung erlaubt nicht genau user, agent und system</translation>
    </message>
    <message>
        <source>Replace the constraint with CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); agent replies are &apos;agent&apos;, never &apos;assistant&apos;.</source>
        <translation>Ersetzen Sie den Constraint durch CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); Agent-Antworten sind &apos;agent&apos;, niemals &apos;assistant&apos;.</translation>
    </message>
    <message>
        <source>the role check was added NOT VALID: existing rows were never checked</source>
        <translation>die Rollenprüfung wurde als NOT VALID hinzugefügt: Bestehende Zeilen wurden nie geprüft</translation>
    </message>
    <message>
        <source>Fix the rows data.role_invalid lists, then ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</source>
        <translation>Korrigieren Sie die Zeilen, die data.role_invalid auflistet, dann ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</translation>
    </message>
    <message>
        <source>conversation_messages.session_id has no foreign key to conversation_sessions(session_id)</source>
        <translation>conversation_messages.session_id hat keinen Fremdschlüssel auf conversation_sessions(session_id)</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), after removing orphan messages.</source>
        <translation>Fügen Sie CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id) hinzu, nachdem Sie verwaiste Nachrichten entfernt haben.</translation>
    </message>
    <message>
        <source>a session_id column accepts NULL</source>
        <translation>eine Spalte session_id akzeptiert NULL</translation>
    </message>
    <message>
        <source>Fill the NULLs (from id for sessions), then ALTER COLUMN session_id SET NOT NULL.</source>
        <translation>Füllen Sie die NULL-Werte (bei Sitzungen aus id), dann ALTER COLUMN session_id SET NOT NULL.</translation>
    </message>
    <message>
        <source>conversation_sessions.session_id is not unique</source>
        <translation>conversation_sessions.session_id ist nicht eindeutig</translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); the foreign key from messages needs it.</source>
        <translation>Fügen Sie CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id) hinzu; der Fremdschlüssel von den Nachrichten benötigt ihn.</translation>
    </message>
    <message>
        <source>required columns accept NULL</source>
        <translation>Pflichtspalten akzeptieren NULL</translation>
    </message>
    <message>
        <source>Make the listed columns NOT NULL once data.null_required is clean.</source>
        <translation>Setzen Sie die aufgeführten Spalten auf NOT NULL, sobald data.null_required bereinigt ist.</translation>
    </message>
    <message>
        <source>conversation_messages.message_id is not unique</source>
        <translation>conversation_messages.message_id ist nicht eindeutig</translation>
    </message>
    <message>
        <source>Create a unique index on message_id: it is the key that keeps retried writes from doubling messages.</source>
        <translation>Erstellen Sie einen eindeutigen Index auf message_id: Er ist der Schlüssel, der verhindert, dass wiederholte Schreibvorgänge Nachrichten verdoppeln.</translation>
    </message>
    <message>
        <source>no index on conversation_messages (session_id, created_at) or (session_id, seq)</source>
        <translation>kein Index auf conversation_messages (session_id, created_at) oder (session_id, seq)</translation>
    </message>
    <message>
        <source>CREATE INDEX ON conversation_messages (session_id, created_at): reading a conversation scans the table without it.</source>
        <translation>CREATE INDEX ON conversation_messages (session_id, created_at): Ohne ihn durchsucht das Lesen eines Gesprächs die ganze Tabelle.</translation>
    </message>
    <message>
        <source>the tracking columns (message_count, end_reason, message_id, seq) are missing</source>
        <translation>die Aufzeichnungsspalten (message_count, end_reason, message_id, seq) fehlen</translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate to add them; until then the checks that need them are not run.</source>
        <translation>Führen Sie voxtrack-cli migrate aus, um sie hinzuzufügen; bis dahin werden die Prüfungen, die sie benötigen, nicht ausgeführt.</translation>
    </message>
    <message>
        <source>messages with a role other than user, agent or system</source>
        <translation>Nachrichten mit einer anderen Rolle als user, agent oder system</translation>
    </message>
    <message>
        <source>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; find the writer that sends the wrong role.</source>
        <translation>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; finden Sie den Schreiber, der die falsche Rolle sendet.</translation>
    </message>
    <message>
        <source>messages whose session does not exist</source>
        <translation>Nachrichten, deren Sitzung nicht existiert</translation>
    </message>
    <message>
        <source>The session insert failed or came after its messages: write the session first (one ordered queue), then delete or re-parent these messages.</source>
        <translation>Das Einfügen der Sitzung ist fehlgeschlagen oder kam nach ihren Nachrichten: Schreiben Sie die Sitzung zuerst (eine geordnete Warteschlange) und löschen Sie diese Nachrichten dann oder ordnen Sie sie neu zu.</translation>
    </message>
    <message>
        <source>rows with a NULL or empty session_id</source>
        <translation>Zeilen mit einer NULL- oder leeren session_id</translation>
    </message>
    <message>
        <source>Fill session_id (sessions: from id, as voxtrack-cli migrate does) or delete the rows.</source>
        <translation>Füllen Sie session_id (Sitzungen: aus id, wie voxtrack-cli migrate es tut) oder löschen Sie die Zeilen.</translation>
    </message>
    <message>
        <source>rows with NULL in a required column</source>
        <translation>Zeilen mit NULL in einer Pflichtspalte</translation>
    </message>
    <message>
        <source>Fill the missing user_id, role, content or created_at, or delete the rows.</source>
        <translation>Füllen Sie die fehlenden Werte für user_id, role, content oder created_at oder löschen Sie die Zeilen.</translation>
    </message>
    <message>
        <source>session_id values used by more than one session</source>
        <translation>session_id-Werte, die von mehr als einer Sitzung verwendet werden</translation>
    </message>
    <message>
        <source>Merge or delete the duplicates, then make session_id UNIQUE.</source>
        <translation>Führen Sie die Duplikate zusammen oder löschen Sie sie, dann machen Sie session_id UNIQUE.</translation>
    </message>
    <message>
        <source>message_id values stored more than once</source>
        <translation>mehrfach gespeicherte message_id-Werte</translation>
    </message>
    <message>
        <source>A retried write was stored twice: delete the extra copies and make message_id UNIQUE.</source>
        <translation>Ein wiederholter Schreibvorgang wurde doppelt gespeichert: Löschen Sie die zusätzlichen Kopien und machen Sie message_id UNIQUE.</translation>
    </message>
    <message>
        <source>sessions with an end time that are still marked active</source>
        <translation>Sitzungen mit Endzeit, die noch als aktiv markiert sind</translation>
    </message>
    <message>
        <source>The session end must set is_active = false in the same update as ended_at.</source>
        <translation>Das Sitzungsende muss is_active = false im selben Update wie ended_at setzen.</translation>
    </message>
    <message>
        <source>inactive sessions without an end time</source>
        <translation>inaktive Sitzungen ohne Endzeit</translation>
    </message>
    <message>
        <source>The session end must set ended_at and session_end with is_active = false.</source>
        <translation>Das Sitzungsende muss ended_at und session_end mit is_active = false setzen.</translation>
    </message>
    <message>
        <source>sessions still active long after they started (never ended)</source>
        <translation>Sitzungen, die lange nach ihrem Beginn noch aktiv sind (nie beendet)</translation>
    </message>
    <message>
        <source>End sessions when the socket goes (close, error or ping timeout); a server start closes leftovers with end_reason &apos;recovered&apos;.</source>
        <translation>Beenden Sie Sitzungen, wenn der Socket wegfällt (Schließen, Fehler oder Ping-Timeout); ein Serverstart schließt Überbleibsel mit end_reason &apos;recovered&apos;.</translation>
    </message>
    <message>
        <source>ended sessions whose duration_seconds is missing or disagrees with ended_at - started_at</source>
        <translation>beendete Sitzungen, deren duration_seconds fehlt oder nicht zu ended_at - started_at passt</translation>
    </message>
    <message>
        <source>Compute duration_seconds from the stored started_at and ended_at, in the same update.</source>
        <translation>Berechnen Sie duration_seconds aus den gespeicherten Werten started_at und ended_at, im selben Update.</translation>
    </message>
    <message>
        <source>session_start and started_at disagree</source>
        <translation>session_start und started_at stimmen nicht überein</translation>
    </message>
    <message>
        <source>Write both columns from one timestamp.</source>
        <translation>Schreiben Sie beide Spalten aus einem Zeitstempel.</translation>
    </message>
    <message>
        <source>session_end and ended_at disagree</source>
        <translation>session_end und ended_at stimmen nicht überein</translation>
    </message>
    <message>
        <source>messages created outside their session&apos;s start and end</source>
        <translation>Nachrichten, die außerhalb von Beginn und Ende ihrer Sitzung erstellt wurden</translation>
    </message>
    <message>
        <source>Stamp messages with the server&apos;s clock when they arrive, and end the session after its last message.</source>
        <translation>Versehen Sie Nachrichten bei ihrer Ankunft mit der Uhrzeit des Servers und beenden Sie die Sitzung nach ihrer letzten Nachricht.</translation>
    </message>
    <message>
        <source>sessions whose message_count differs from their stored messages</source>
        <translation>Sitzungen, deren message_count von ihren gespeicherten Nachrichten abweicht</translation>
    </message>
    <message>
        <source>Messages were lost or written after the session ended: compare the server&apos;s journal, then recount.</source>
        <translation>Nachrichten gingen verloren oder wurden nach dem Ende der Sitzung geschrieben: Vergleichen Sie mit dem Journal des Servers und zählen Sie dann neu.</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Migrator</name>
    <message>
        <source>The database %1 is open read-only: migrations need write access; drop ?mode=ro from the URL.</source>
        <translation>Die Datenbank %1 ist schreibgeschützt geöffnet: Migrationen benötigen Schreibzugriff; entfernen Sie ?mode=ro aus der URL.</translation>
    </message>
    <message>
        <source>The database is at schema version %1, newer than this program&apos;s %2: use a newer Voxtrack.</source>
        <translation>Die Datenbank ist auf Schemaversion %1, neuer als Version %2 dieses Programms: Verwenden Sie ein neueres Voxtrack.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) differs from the one applied to this database: migrations are never edited once released; restore the file or add a new migration.</source>
        <translation>Migration %1 (%2) weicht von der auf diese Datenbank angewendeten ab: Migrationen werden nach der Veröffentlichung nie geändert; stellen Sie die Datei wieder her oder fügen Sie eine neue Migration hinzu.</translation>
    </message>
    <message>
        <source>Migration %1 (%2) failed, nothing was changed: %3</source>
        <translation>Migration %1 (%2) ist fehlgeschlagen, nichts wurde geändert: %3</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1 Run voxtrack-cli doctor on the database to see the rows at fault.</source>
        <translation>Die Aktualisierung der alten Tabellenform (über id identifizierte Sitzungen) ist fehlgeschlagen, nichts wurde geändert: %1 Führen Sie voxtrack-cli doctor auf der Datenbank aus, um die fehlerhaften Zeilen zu sehen.</translation>
    </message>
    <message>
        <source>%n session(s) without user_id</source>
        <translation>%n Sitzung(en) ohne user_id</translation>
    </message>
    <message>
        <source>%n session(s) with a NULL id</source>
        <translation>%n Sitzung(en) mit einer NULL-id</translation>
    </message>
    <message>
        <source>%n message(s) belonging to no session</source>
        <translation>%n Nachricht(en) ohne zugehörige Sitzung</translation>
    </message>
    <message>
        <source>%n message(s) with a role other than user, agent or system</source>
        <translation>%n Nachricht(en) mit einer anderen Rolle als user, agent oder system</translation>
    </message>
    <message>
        <source>%n message(s) without content</source>
        <translation>%n Nachricht(en) ohne Inhalt</translation>
    </message>
    <message>
        <source>The old table shape (sessions keyed by id) cannot be upgraded, nothing was changed: it holds %1. Run voxtrack-cli doctor on it to see them, fix or delete them, then migrate again.</source>
        <translation>Die alte Tabellenform (über id identifizierte Sitzungen) kann nicht aktualisiert werden, nichts wurde geändert: Sie enthält %1. Führen Sie voxtrack-cli doctor darauf aus, um sie zu sehen, korrigieren oder löschen Sie sie und migrieren Sie dann erneut.</translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1</source>
        <translation>Die Aktualisierung der alten Tabellenform (über id identifizierte Sitzungen) ist fehlgeschlagen, nichts wurde geändert: %1</translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Schema</name>
    <message>
        <source>%1 does not have both conversation_sessions and conversation_messages: use a conversation database, or create the tables with voxtrack-cli migrate.</source>
        <translation>%1 hat nicht sowohl conversation_sessions als auch conversation_messages: Verwenden Sie eine Gesprächsdatenbank oder erstellen Sie die Tabellen mit voxtrack-cli migrate.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker</name>
    <message>
        <source>The journal file %1 cannot be used (%2): check that the journal directory is writable and has space.</source>
        <translation>Die Journal-Datei %1 kann nicht verwendet werden (%2): Prüfen Sie, ob das Journal-Verzeichnis beschreibbar ist und Platz hat.</translation>
    </message>
    <message>
        <source>%1 has no conversation tables: create them first with voxtrack-cli migrate on the same --db URL.</source>
        <translation>%1 hat keine Gesprächstabellen: Erstellen Sie sie zuerst mit voxtrack-cli migrate mit derselben --db-URL.</translation>
    </message>
    <message>
        <source>%1 lacks columns of the current schema (%2): bring it up to date with voxtrack-cli migrate on the same --db URL.</source>
        <translation>%1 fehlen Spalten des aktuellen Schemas (%2): Bringen Sie es mit voxtrack-cli migrate mit derselben --db-URL auf den neuesten Stand.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::ConversationTracker</name>
    <message>
        <source>The tracker is shutting down and takes no more messages: reconnect to another server.</source>
        <translation>Der Tracker wird heruntergefahren und nimmt keine Nachrichten mehr an: Verbinden Sie sich mit einem anderen Server.</translation>
    </message>
    <message>
        <source>The database is behind by %1 messages and there is no journal to hold more: try again later, or run the server with a journal.</source>
        <translation>Die Datenbank liegt %1 Nachrichten zurück, und es gibt kein Journal, das mehr aufnehmen kann: Versuchen Sie es später erneut oder führen Sie den Server mit einem Journal aus.</translation>
    </message>
    <message>
        <source>A session needs a session id and a user id: neither may be empty.</source>
        <translation>Eine Sitzung benötigt eine Sitzungs-ID und eine Benutzer-ID: Keine von beiden darf leer sein.</translation>
    </message>
    <message>
        <source>The session %1 is already open: use a new session id.</source>
        <translation>Die Sitzung %1 ist bereits offen: Verwenden Sie eine neue Sitzungs-ID.</translation>
    </message>
    <message>
        <source>A message needs the id of its session: the session id is empty.</source>
        <translation>Eine Nachricht benötigt die ID ihrer Sitzung: Die Sitzungs-ID ist leer.</translation>
    </message>
    <message>
        <source>There is no open session %1: start the session before its messages, and send nothing after its end.</source>
        <translation>Es gibt keine offene Sitzung %1: Starten Sie die Sitzung vor ihren Nachrichten und senden Sie nach ihrem Ende nichts mehr.</translation>
    </message>
    <message>
        <source>There is no open session %1 to end: it was never started or has ended already.</source>
        <translation>Es gibt keine offene Sitzung %1 zum Beenden: Sie wurde nie gestartet oder ist bereits beendet.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Journal</name>
    <message>
        <source>Could not create the journal directory %1: choose a writable directory.</source>
        <translation>Das Journal-Verzeichnis %1 konnte nicht erstellt werden: Wählen Sie ein beschreibbares Verzeichnis.</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 is damaged: move the journal directory aside to start afresh (its unwritten messages would be lost).</source>
        <translation>Der Journal-Checkpoint in %1 ist beschädigt: Verschieben Sie das Journal-Verzeichnis beiseite, um neu zu beginnen (seine ungeschriebenen Nachrichten gingen verloren).</translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 lies past the journal&apos;s end: move the journal directory aside to start afresh.</source>
        <translation>Der Journal-Checkpoint in %1 liegt hinter dem Ende des Journals: Verschieben Sie das Journal-Verzeichnis beiseite, um neu zu beginnen.</translation>
    </message>
    <message>
        <source>A journal record must hold 1 byte to 64 MiB, not %1 bytes.</source>
        <translation>Ein Journal-Eintrag muss 1 Byte bis 64 MiB umfassen, nicht %1 Bytes.</translation>
    </message>
    <message>
        <source>No journal segment holds offset %1.</source>
        <translation>Kein Journal-Segment enthält den Offset %1.</translation>
    </message>
    <message>
        <source>A journal record header is cut short.</source>
        <translation>Ein Journal-Eintragskopf ist abgeschnitten.</translation>
    </message>
    <message>
        <source>A journal record fails its checksum.</source>
        <translation>Ein Journal-Eintrag besteht die Prüfsumme nicht.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Seeder</name>
    <message>
        <source>The number of %1 must be from %2 to %3, not %4: choose one in that range.</source>
        <translation>Die Anzahl der %1 muss zwischen %2 und %3 liegen, nicht %4: Wählen Sie einen Wert in diesem Bereich.</translation>
    </message>
    <message>
        <source>The seed must be from 0 to %1, not %2: choose one in that range.</source>
        <translation>Der Startwert muss zwischen 0 und %1 liegen, nicht %2: Wählen Sie einen Wert in diesem Bereich.</translation>
    </message>
    <message>
        <source>The share of open sessions must be from 0 to 100 percent, not %1: choose one in that range.</source>
        <translation>Der Anteil offener Sitzungen muss zwischen 0 und 100 Prozent liegen, nicht %1: Wählen Sie einen Wert in diesem Bereich.</translation>
    </message>
    <message>
        <source>Seeding was interrupted and rolled back: nothing was written. Run it again to seed the database.</source>
        <translation>Das Befüllen wurde unterbrochen und zurückgerollt: Nichts wurde geschrieben. Führen Sie es erneut aus, um die Datenbank zu befüllen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): %2.</source>
        <translation>Schreiben in PostgreSQL fehlgeschlagen (%1): %2.</translation>
    </message>
    <message>
        <source>The PostgreSQL driver does not expose its libpq connection (it hands out &quot;%1&quot;): Voxtrack needs Qt&apos;s QPSQL driver built against libpq.</source>
        <translation>Der PostgreSQL-Treiber gibt seine libpq-Verbindung nicht preis (er liefert &quot;%1&quot;): Voxtrack benötigt den gegen libpq gebauten QPSQL-Treiber von Qt.</translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg::CopyIn</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): the statement did not start a COPY FROM STDIN.</source>
        <translation>Schreiben in PostgreSQL fehlgeschlagen (%1): Die Anweisung hat kein COPY FROM STDIN begonnen.</translation>
    </message>
</context>
<context>
    <name>voxtrack::wav</name>
    <message>
        <source>This is not a playable WAV file: %1.</source>
        <translation>Dies ist keine abspielbare WAV-Datei: %1.</translation>
    </message>
    <message>
        <source>it does not start with RIFF … WAVE</source>
        <translation>sie beginnt nicht mit RIFF … WAVE</translation>
    </message>
    <message>
        <source>its format chunk is cut short</source>
        <translation>ihr Format-Chunk ist abgeschnitten</translation>
    </message>
    <message>
        <source>its samples are not plain PCM</source>
        <translation>ihre Samples sind kein einfaches PCM</translation>
    </message>
    <message>
        <source>its data comes before its format</source>
        <translation>ihre Daten stehen vor ihrem Format</translation>
    </message>
    <message>
        <source>its data chunk says %1 bytes but %2 follow</source>
        <translation>ihr Daten-Chunk nennt %1 Bytes, es folgen aber %2</translation>
    </message>
    <message>
        <source>its format chunk holds impossible values</source>
        <translation>ihr Format-Chunk enthält unmögliche Werte</translation>
    </message>
    <message>
        <source>it has no data chunk</source>
        <translation>sie hat keinen Daten-Chunk</translation>
    </message>
</context>
<context>
    <name>voxtrackd</name>
    <message>
        <source>voxtrackd: the reference conversation-tracking server. Clients speak WebSocket protocol v1 on /v1/conversation; every session and message is journaled, then written to the database in batches; /healthz and /metrics are served on the same port.</source>
        <translation>voxtrackd: der Referenzserver für Gesprächsaufzeichnung. Clients sprechen WebSocket-Protokoll v1 auf /v1/conversation; jede Sitzung und Nachricht wird ins Journal geschrieben und dann stapelweise in die Datenbank; /healthz und /metrics werden auf demselben Port bereitgestellt.</translation>
    </message>
    <message>
        <source>Database URL (default: %1).</source>
        <translation>Datenbank-URL (Standard: %1).</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Address and port to listen on (default 127.0.0.1:8787; port 0 picks a free one).</source>
        <translation>Adresse und Port zum Lauschen (Standard: 127.0.0.1:8787; Port 0 wählt einen freien).</translation>
    </message>
    <message>
        <source>host:port</source>
        <translation>host:port</translation>
    </message>
    <message>
        <source>HS256 secret that signs client tokens (or $VOXTRACK_TOKEN_SECRET).</source>
        <translation>HS256-Geheimnis, das Client-Tokens signiert (oder $VOXTRACK_TOKEN_SECRET).</translation>
    </message>
    <message>
        <source>secret</source>
        <translation>geheimnis</translation>
    </message>
    <message>
        <source>No authentication: clients name themselves with ?user_id=.</source>
        <translation>Keine Authentifizierung: Clients nennen sich selbst mit ?user_id=.</translation>
    </message>
    <message>
        <source>Largest text frame accepted (default 65536).</source>
        <translation>Größter akzeptierter Text-Frame (Standard: 65536).</translation>
    </message>
    <message>
        <source>bytes</source>
        <translation>bytes</translation>
    </message>
    <message>
        <source>Most sessions open at once (default 10000).</source>
        <translation>Höchstzahl gleichzeitig offener Sitzungen (Standard: 10000).</translation>
    </message>
    <message>
        <source>count</source>
        <translation>anzahl</translation>
    </message>
    <message>
        <source>The simulated agent&apos;s rules file (JSON; see docs/agent-rules.md). Default: built-in rules.</source>
        <translation>Die Regeldatei des simulierten Agenten (JSON; siehe docs/agent-rules.md). Standard: eingebaute Regeln.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>datei</translation>
    </message>
    <message>
        <source>No simulated replies: an external agent relays its replies with role &quot;agent&quot;.</source>
        <translation>Keine simulierten Antworten: Ein externer Agent leitet seine Antworten mit der Rolle &quot;agent&quot; weiter.</translation>
    </message>
    <message>
        <source>Journal directory (default %1/journal; &quot;none&quot; to run without one).</source>
        <translation>Journal-Verzeichnis (Standard: %1/journal; &quot;none&quot;, um ohne Journal zu laufen).</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>verz</translation>
    </message>
    <message>
        <source>debug, info (default), warning or error.</source>
        <translation>debug, info (Standard), warning oder error.</translation>
    </message>
    <message>
        <source>level</source>
        <translation>stufe</translation>
    </message>
    <message>
        <source>Milliseconds of silence (no frame, no pong) after which a connection is dropped and its session ended with reason timeout (default 45000).</source>
        <translation>Millisekunden Stille (kein Frame, kein Pong), nach denen eine Verbindung getrennt und ihre Sitzung mit dem Grund timeout beendet wird (Standard: 45000).</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Milliseconds a stop may take to drain the queue (default 10000).</source>
        <translation>Millisekunden, die ein Stopp zum Abarbeiten der Warteschlange brauchen darf (Standard: 10000).</translation>
    </message>
    <message>
        <source>For testing a harness only: make the server misbehave on purpose. agent-role (store replies as role user), drop-every=N (acknowledge every N-th user message but never store it), never-end (leave ended sessions active in the database). May be given more than once.</source>
        <translation>Nur zum Testen einer Testumgebung: Den Server absichtlich fehlerhaft verhalten lassen. agent-role (Antworten mit Rolle user speichern), drop-every=N (jede N-te Benutzernachricht bestätigen, aber nie speichern), never-end (beendete Sitzungen in der Datenbank aktiv lassen). Kann mehrfach angegeben werden.</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>fehler</translation>
    </message>
    <message>
        <source>--%1 takes a whole number of at least %2, not &quot;%3&quot;.</source>
        <translation>--%1 erwartet eine ganze Zahl von mindestens %2, nicht &quot;%3&quot;.</translation>
    </message>
    <message>
        <source>--log-level takes debug, info, warning or error, not &quot;%1&quot;.</source>
        <translation>--log-level erwartet debug, info, warning oder error, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>--listen takes an address and port such as 127.0.0.1:8787 or [::1]:8787, not &quot;%1&quot;.</source>
        <translation>--listen erwartet eine Adresse und einen Port wie 127.0.0.1:8787 oder [::1]:8787, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>--no-auth and a token secret exclude each other: choose one.</source>
        <translation>--no-auth und ein Token-Geheimnis schließen einander aus: Wählen Sie eines.</translation>
    </message>
    <message>
        <source>Choose how clients prove who they are: --token-secret SECRET (HS256 tokens whose sub is the user id, as Supabase issues them) or --no-auth (identity from ?user_id=).</source>
        <translation>Wählen Sie, wie Clients nachweisen, wer sie sind: --token-secret SECRET (HS256-Tokens, deren sub die Benutzer-ID ist, wie Supabase sie ausstellt) oder --no-auth (Identität aus ?user_id=).</translation>
    </message>
    <message>
        <source>--test-fault takes agent-role, drop-every=N (N ≥ 1) or never-end, not &quot;%1&quot;.</source>
        <translation>--test-fault erwartet agent-role, drop-every=N (N ≥ 1) oder never-end, nicht &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>This process may open only %1 files, fewer than --max-sessions %2 needs: raise the limit (ulimit -n) or lower --max-sessions.</source>
        <translation>Dieser Prozess darf nur %1 Dateien öffnen, weniger als --max-sessions %2 benötigt: Erhöhen Sie das Limit (ulimit -n) oder verringern Sie --max-sessions.</translation>
    </message>
    <message>
        <source>Directory of stored utterances, served as /audio/&lt;message_id&gt;.wav (default %1/audio; &quot;none&quot; to refuse audio).</source>
        <translation>Verzeichnis der gespeicherten Äußerungen, bereitgestellt als /audio/&lt;message_id&gt;.wav (Standard %1/audio; &quot;none&quot; lehnt Audio ab).</translation>
    </message>
    <message>
        <source>Longest utterance kept; longer ones are dropped with audio.too_long (default 60).</source>
        <translation>Längste gespeicherte Äußerung; längere werden mit audio.too_long verworfen (Standard 60).</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>Speak the agent&apos;s replies with espeak-ng in this voice (en-us, en-gb, de, …; espeak-ng --voices lists them): each reply is stored as a WAV file and sent with its audio_url. Needs --audio-dir.</source>
        <translation>Die Antworten des Agenten mit espeak-ng in dieser Stimme sprechen (en-us, en-gb, de, …; espeak-ng --voices listet sie auf): Jede Antwort wird als WAV-Datei gespeichert und mit ihrer audio_url gesendet. Benötigt --audio-dir.</translation>
    </message>
    <message>
        <source>voice</source>
        <translation>Stimme</translation>
    </message>
    <message>
        <source>--speak-replies stores the spoken replies: give an --audio-dir other than none.</source>
        <translation>--speak-replies speichert die gesprochenen Antworten: Geben Sie ein anderes --audio-dir als none an.</translation>
    </message>
</context>
</TS>
