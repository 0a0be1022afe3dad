using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Psm.TestSupport;

/// <summary>
/// The real mail server test.sh starts (Postfix for SMTP, Dovecot for IMAP, on loopback): any address at
/// example.test or customer.test is a mailbox whose IMAP password is "secret". Tests send real messages
/// into PSM's mailbox over SMTP and read what PSM sent out of the customer's mailbox over IMAP.
/// </summary>
public sealed class TestMail
{
    private TestMail(string smtpHost, int smtpPort, string imapHost, int imapPort, string password) =>
        (SmtpHost, SmtpPort, ImapHost, ImapPort, Password) = (smtpHost, smtpPort, imapHost, imapPort, password);

    public string SmtpHost { get; }
    public int SmtpPort { get; }
    public string ImapHost { get; }
    public int ImapPort { get; }
    public string Password { get; }

    /// <summary>PSM_TEST_MAIL: "smtp=HOST:PORT;imap=HOST:PORT;password=P".</summary>
    public static TestMail Server { get; } = Parse(Environment.GetEnvironmentVariable("PSM_TEST_MAIL"));

    private static TestMail Parse(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return new TestMail("", 0, "", 0, "");
        }

        var parts = setting.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var smtp = parts["smtp"].Split(':');
        var imap = parts["imap"].Split(':');
        return new TestMail(smtp[0], int.Parse(smtp[1]), imap[0], int.Parse(imap[1]), parts["password"]);
    }

    private void EnsureRunning()
    {
        if (SmtpPort == 0)
        {
            throw new InvalidOperationException("PSM_TEST_MAIL is not set; run the suite through ./test.sh, which starts the mail server.");
        }
    }

    /// <summary>A fresh mailbox address of the test's own.</summary>
    public static string NewAddress(string who, string domain = "customer.test") => $"{who}-{Guid.NewGuid():N}"[..(who.Length + 13)] + "@" + domain;

    /// <summary>A body for PSM's mailbox API reading <paramref name="address"/> on this server (IMAP and SMTP without TLS, on loopback).</summary>
    public Dictionary<string, object?> MailboxInput(string address, string name = "Support") => new()
    {
        ["name"] = name, ["address"] = address, ["enabled"] = true,
        ["imapHost"] = ImapHost, ["imapPort"] = ImapPort, ["imapSecurity"] = "None", ["imapUser"] = address, ["imapPassword"] = Password, ["folder"] = "INBOX",
        ["smtpHost"] = SmtpHost, ["smtpPort"] = SmtpPort, ["smtpSecurity"] = "None", ["smtpUser"] = "", ["becomes"] = "Ticket", ["priority"] = "Normal",
        ["unknownSenders"] = "UnassignedCustomer", ["maxMessageMegabytes"] = 20,
    };

    /// <summary>Sends a message over SMTP and waits until it is in <paramref name="mailbox"/>'s INBOX (Postfix delivers in the background).</summary>
    public async Task<string> SendAsync(MimeMessage message, string mailbox)
    {
        EnsureRunning();
        message.MessageId ??= MimeKit.Utils.MimeUtils.GenerateMessageId("customer.test");
        var before = await CountAsync(mailbox);
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync(SmtpHost, SmtpPort, SecureSocketOptions.None);
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }

        await WaitForAsync(mailbox, before + 1);
        return message.MessageId;
    }

    /// <summary>A plain message from one address to another.</summary>
    public static MimeMessage Message(string from, string to, string subject, string text, string fromName = "")
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("customer.test") };
        message.From.Add(new MailboxAddress(fromName, from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    /// <summary>Sends bytes as they are (a message MimeKit would repair if it wrote it), over a bare SMTP conversation.</summary>
    public async Task SendRawAsync(string from, string to, string raw)
    {
        EnsureRunning();
        var before = await CountAsync(to);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(SmtpHost, SmtpPort);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.Latin1);
        await using var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };

        async Task Expect(string code)
        {
            string? line;
            do
            {
                line = await reader.ReadLineAsync() ?? throw new IOException("The SMTP server closed the connection.");
            }
            while (line.Length > 3 && line[3] == '-');

            if (!line.StartsWith(code, StringComparison.Ordinal))
            {
                throw new IOException($"SMTP answered {line}, expected {code}.");
            }
        }

        await Expect("220");
        foreach (var (command, code) in new[] { ("HELO tests.customer.test", "250"), ($"MAIL FROM:<{from}>", "250"), ($"RCPT TO:<{to}>", "250"), ("DATA", "354") })
        {
            await writer.WriteLineAsync(command);
            await Expect(code);
        }

        foreach (var line in raw.Replace("\r\n", "\n").Split('\n'))
        {
            await writer.WriteLineAsync(line.StartsWith('.') ? "." + line : line);
        }

        await writer.WriteLineAsync(".");
        await Expect("250");
        await writer.WriteLineAsync("QUIT");
        await WaitForAsync(to, before + 1);
    }

    public async Task<int> CountAsync(string mailbox) => (await ReadAllAsync(mailbox)).Count;

    /// <summary>Every message in the mailbox's INBOX, oldest first.</summary>
    public async Task<IReadOnlyList<MimeMessage>> ReadAllAsync(string mailbox)
    {
        EnsureRunning();
        using var imap = new ImapClient();
        await imap.ConnectAsync(ImapHost, ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync(mailbox, Password);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var messages = new List<MimeMessage>();
        foreach (var uid in await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.All))
        {
            messages.Add(await imap.Inbox.GetMessageAsync(uid));
        }

        await imap.DisconnectAsync(true);
        return messages;
    }

    /// <summary>Waits (up to 30 s) until the mailbox holds at least <paramref name="count"/> messages; returns them all.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForAsync(string mailbox, int count, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var messages = await ReadAllAsync(mailbox);
            if (messages.Count >= count)
            {
                return messages;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{mailbox} holds {messages.Count} messages after {seconds} s; expected {count}.");
            }

            await Task.Delay(200);
        }
    }
}
