using MimeKit;
void Try(string name, string raw) {
  try { var m = MimeMessage.Load(new MemoryStream(System.Text.Encoding.Latin1.GetBytes(raw)));
    Console.WriteLine($"{name}: ok from={m.From} subj={m.Subject} text=[{m.TextBody}] html=[{m.HtmlBody}] body={m.Body?.GetType().Name}");
    foreach (var p in m.BodyParts.OfType<TextPart>()) Console.WriteLine($"  part charset={p.ContentType.Charset}");
  } catch (Exception e) { Console.WriteLine($"{name}: {e.GetType().Name} {e.Message}"); }
}
Try("garbage", "\x00\x01\x02 not a message at all");
Try("empty", "");
Try("noheaders", "\r\n\r\nbody only");
Try("badcharset", "From: a@b.test\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nhello \xe9\r\n");
Try("badboundary", "From: a@b.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n");
Try("b64broken", "From: a@b.test\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!***\r\n");
var s = new Ganss.Xss.HtmlSanitizer();
Console.WriteLine(s.Sanitize("<p>Hi<script>alert(1)</script><img src=x onerror=alert(2)><a href='javascript:alert(3)'>l</a></p>"));
try { var e = System.Text.Encoding.GetEncoding("x-klingon"); } catch (Exception e) { Console.WriteLine(e.GetType().Name); }
Console.WriteLine(MimeKit.Utils.CharsetUtils.GetEncoding("x-klingon")?.WebName ?? "null");
