using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Text;

namespace Appliance.Auth.Tests;

/// <summary>
/// A real Active Directory domain controller for the AD tests: Debian's Samba, provisioned with
/// <c>samba-tool domain provision</c> into a temp directory (nothing under /etc or /var/lib/samba is
/// read or written), then run in the foreground (<c>samba -i</c>) inside a network namespace of its
/// own, made by <c>unshare --net</c>. There it listens on the standard ports 389 and 636 of its own
/// loopback without colliding with anything on the machine (another slapd, a parallel test run);
/// <see cref="SambaNamespaceRelay"/> brings both to free ports on 127.0.0.1 of the test's namespace.
/// Once it answers, the fixture adds over LDAP: users (one in an OU, one whose CN has a comma), groups
/// nested two levels and in a cycle, a disabled, an expired, a must-change and a lockout-prone account.
/// Samba is stopped by PID at the end, and also when the set-up fails (xunit does not dispose a
/// fixture whose InitializeAsync threw).
/// </summary>
public sealed class SambaAdFixture : IAsyncLifetime
{
    public const string SambaPath = "/usr/sbin/samba";
    public const string SambaToolPath = "/usr/bin/samba-tool";
    public const string UnsharePath = "/usr/bin/unshare";

    public const string Realm = "APPLIANCE.TEST";
    public const string DnsDomain = "appliance.test";
    public const string NetbiosDomain = "APPLIANCE";
    public const string BaseDn = "DC=appliance,DC=test";
    public const string UsersDn = "CN=Users," + BaseDn;
    public const string StaffOuDn = "OU=Staff," + BaseDn;
    public const string MovedOuDn = "OU=Moved," + BaseDn;
    public const string AdministratorDn = "CN=Administrator," + UsersDn;
    public const string AdministratorPassword = "Admin-Passw0rd-1";
    public const string ServiceAccountDn = "CN=svc-reader," + UsersDn;
    public const string ServiceAccountPassword = "Reader-Passw0rd-1";

    /// <summary>AD refuses binds after this many bad passwords in a row (the domain's lockout threshold set here).</summary>
    public const int LockoutThreshold = 3;

    /// <summary>The sAMAccountNames and passwords created (all meet AD's default complexity rules).</summary>
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alice"] = "Alice-Passw0rd-1",
        ["bob"] = "Bob-Passw0rd-1",
        ["carol"] = "Carol-Passw0rd-1",
        ["jdoe"] = "Jdoe-Passw0rd-1",
        ["dave"] = "Dave-Passw0rd-1",
        ["disabled"] = "Disabled-Passw0rd-1",
        ["expired"] = "Expired-Passw0rd-1",
        ["mustchange"] = "Mustchange-Passw0rd-1",
        ["locky"] = "Locky-Passw0rd-1",
        ["mover"] = "Mover-Passw0rd-1",
    };

    /// <summary>jdoe's CN has a comma (escaped in the DN) and parentheses: the in-chain filter must escape the DN as a value.</summary>
    public const string JdoeDn = @"CN=Doe\, John (R&D)," + UsersDn;

    public const string AliceDn = "CN=Alice Liddell," + StaffOuDn;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private Process? _samba;
    private SambaNamespaceRelay? _ldap;
    private SambaNamespaceRelay? _ldaps;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("appliance-samba-").FullName;

    /// <summary>Port on 127.0.0.1 leading to the DC's LDAP port (389).</summary>
    public int LdapPort => _ldap?.Port ?? throw new InvalidOperationException("Samba is not running.");

    /// <summary>Port on 127.0.0.1 leading to the DC's LDAPS port (636).</summary>
    public int LdapsPort => _ldaps?.Port ?? throw new InvalidOperationException("Samba is not running.");

    /// <summary>The CA that signed the certificate Samba serves (set with Samba's <c>tls certfile</c>).</summary>
    public string CaPem { get; private set; } = "";

    public string UnknownCaPem { get; private set; } = "";

    private string ConfigPath => Path.Combine(Directory, "etc", "smb.conf");

    public async Task InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            // xunit never disposes a fixture whose InitializeAsync failed: stop what was started here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        foreach (var tool in new[] { SambaPath, SambaToolPath, UnsharePath, IpPath() })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException(
                    $"{tool} is missing: the Active Directory tests need Samba's domain controller. Install Debian's samba, "
                    + "samba-ad-provision, samba-dsdb-modules, samba-vfs-modules and iproute2 (tests/run.sh does).");
            }
        }

        if (!System.IO.Directory.Exists("/usr/share/samba/setup/ad-schema"))
        {
            throw new InvalidOperationException("samba-tool cannot provision a domain without Debian's samba-ad-provision package (tests/run.sh installs it).");
        }

        var tls = Path.Combine(Directory, "certs");
        System.IO.Directory.CreateDirectory(tls);
        using (var ca = TestCertificates.CreateCa("Appliance test AD CA"))
        using (var unknown = TestCertificates.CreateCa("Unknown CA"))
        {
            var (certificate, key) = TestCertificates.CreateServer(ca);
            CaPem = ca.ExportCertificatePem();
            UnknownCaPem = unknown.ExportCertificatePem();
            await File.WriteAllTextAsync(Path.Combine(tls, "ca.pem"), CaPem);
            await File.WriteAllTextAsync(Path.Combine(tls, "server.pem"), certificate);
            await File.WriteAllTextAsync(Path.Combine(tls, "server.key"), key);
            // Samba refuses a TLS key that others may read.
            File.SetUnixFileMode(Path.Combine(tls, "server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await ProvisionAsync(tls);
        await StartAsync();
        try
        {
            Populate();
        }
        catch (Exception exception) when (exception is LdapException or DirectoryOperationException)
        {
            throw new InvalidOperationException($"Filling Samba's directory failed (samba {(_samba is { HasExited: true } ? "has exited" : "runs")}):\n{Output}", exception);
        }
    }

    private async Task ProvisionAsync(string tls)
    {
        // An empty configuration to start from: samba-tool otherwise reads /etc/samba/smb.conf and
        // copies its settings (log file, printers, ...) into the new domain's.
        var empty = Path.Combine(Directory, "empty.conf");
        await File.WriteAllTextAsync(empty, "");
        await SambaToolAsync(
            "domain", "provision", "-s", empty, "--targetdir=" + Directory,
            "--realm=" + Realm, "--domain=" + NetbiosDomain, "--host-name=dc1", "--server-role=dc",
            "--dns-backend=NONE", "--adminpass=" + AdministratorPassword,
            // Only the loopback of the DC's own namespace, and only the LDAP server: no SMB, RPC,
            // Kerberos, DNS or winbindd, none of which the tests use.
            "--option=interfaces = lo", "--option=bind interfaces only = yes", "--option=server services = ldap");

        // provision leaves some --option values out of the smb.conf it writes ("ldap server require
        // strong auth" was seen dropped), so these are added to its [global] section afterwards.
        var config = await File.ReadAllTextAsync(ConfigPath);
        const string Global = "[global]\n";
        if (!config.Contains(Global, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"samba-tool wrote an smb.conf without a [global] section:\n{config}");
        }

        await File.WriteAllTextAsync(ConfigPath, config.Replace(Global, Global + $"""
                # Samba refuses simple binds on plain LDAP by default (strongAuthRequired, like AD with LDAP
                # signing enforced); the plain-LDAP tests need them. Over TLS they work either way.
                ldap server require strong auth = no
                # A certificate that names 127.0.0.1, which the relay is reached by, from a CA the tests hold;
                # the one Samba generates for itself names only DC1.appliance.test.
                tls enabled = yes
                tls keyfile = {tls}/server.key
                tls certfile = {tls}/server.pem
                tls cafile = {tls}/ca.pem

            """, StringComparison.Ordinal));
    }

    /// <summary>
    /// Fills the directory over LDAP as the Administrator, the way admin tools and scripts create AD
    /// objects (one samba-tool process per object took half a second each on a loaded machine; this takes milliseconds).
    /// </summary>
    private void Populate()
    {
        using var ldap = ConnectAsAdministrator();
        ldap.SendRequest(new ModifyRequest(BaseDn, DirectoryAttributeOperation.Replace, "lockoutThreshold",
            LockoutThreshold.ToString(CultureInfo.InvariantCulture)));
        foreach (var ou in new[] { StaffOuDn, MovedOuDn })
        {
            ldap.SendRequest(new AddRequest(ou, new DirectoryAttribute("objectClass", "organizationalUnit")));
        }

        ldap.SendRequest(User("CN=svc-reader," + UsersDn, "svc-reader", ServiceAccountPassword));
        ldap.SendRequest(User(AliceDn, "alice", Passwords["alice"],
            new DirectoryAttribute("givenName", "Alice"), new DirectoryAttribute("sn", "Liddell"), new DirectoryAttribute("displayName", "Alice Liddell")));
        ldap.SendRequest(User(JdoeDn, "jdoe", Passwords["jdoe"]));
        foreach (var name in new[] { "bob", "carol", "dave", "locky", "mover" })
        {
            ldap.SendRequest(User($"CN={name},{UsersDn}", name, Passwords[name]));
        }

        const int NormalAccount = 0x200;
        ldap.SendRequest(User("CN=disabled," + UsersDn, "disabled", Passwords["disabled"],
            new DirectoryAttribute("userAccountControl", (NormalAccount | (int)LdapSettings.ActiveDirectoryAccountDisable).ToString(CultureInfo.InvariantCulture))));
        // accountExpires is a FILETIME: the account ended yesterday.
        ldap.SendRequest(User("CN=expired," + UsersDn, "expired", Passwords["expired"],
            new DirectoryAttribute("accountExpires", DateTime.UtcNow.AddDays(-1).ToFileTimeUtc().ToString(CultureInfo.InvariantCulture))));
        ldap.SendRequest(User("CN=mustchange," + UsersDn, "mustchange", Passwords["mustchange"]));
        // pwdLastSet 0: "must change password at next logon" (it can only be set once the password is).
        ldap.SendRequest(new ModifyRequest("CN=mustchange," + UsersDn, DirectoryAttributeOperation.Replace, "pwdLastSet", "0"));

        // alice, bob, jdoe, mover -> developers -> engineering -> staff: two levels above the direct group.
        // carol -> cycle-a <-> cycle-b: AD allows the cycle; the in-chain search must still end.
        // dave is in no group of ours.
        ldap.SendRequest(Group("developers", AliceDn, "CN=bob," + UsersDn, JdoeDn, "CN=mover," + UsersDn));
        ldap.SendRequest(Group("engineering", GroupDn("developers")));
        ldap.SendRequest(Group("staff", GroupDn("engineering")));
        ldap.SendRequest(Group("cycle-a", "CN=carol," + UsersDn));
        ldap.SendRequest(Group("cycle-b", GroupDn("cycle-a")));
        ldap.SendRequest(new ModifyRequest(GroupDn("cycle-a"), DirectoryAttributeOperation.Add, "member", GroupDn("cycle-b")));
    }

    public static string GroupDn(string name) => $"CN={name},{UsersDn}";

    private static AddRequest User(string dn, string samAccountName, string password, params DirectoryAttribute[] more)
    {
        var request = new AddRequest(dn,
            new DirectoryAttribute("objectClass", "user"),
            new DirectoryAttribute("sAMAccountName", samAccountName),
            new DirectoryAttribute("userPrincipalName", $"{samAccountName}@{DnsDomain}"),
            // AD takes a new password as the quoted string in UTF-16LE.
            new DirectoryAttribute("unicodePwd", Encoding.Unicode.GetBytes($"\"{password}\"")));
        request.Attributes.AddRange(more);
        if (!more.Any(attribute => attribute.Name == "userAccountControl"))
        {
            // A normal, enabled account (AD creates users disabled when no password policy decides otherwise).
            request.Attributes.Add(new DirectoryAttribute("userAccountControl", "512"));
        }

        return request;
    }

    private static AddRequest Group(string name, params string[] members)
    {
        var request = new AddRequest(GroupDn(name), new DirectoryAttribute("objectClass", "group"), new DirectoryAttribute("sAMAccountName", name));
        request.Attributes.Add(new DirectoryAttribute("member", members));
        return request;
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo(UnsharePath)
        {
            // samba -i ends at EOF on its stdin ("EOF on stdin - PID n terminating"). Inherited, that is
            // whatever the test run was given: a pipe its runner may close at any moment (CI's did, in
            // the middle of the set-up) or /dev/null. A pipe of our own stays open until samba is stopped.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // unshare makes a network namespace and execs sh in it (no fork: the PID we hold becomes
        // sh's and then samba's); sh brings its loopback up and execs samba. -i keeps samba in the
        // foreground with its log on stdout; -M single serves everything from that one process.
        foreach (var argument in new[]
                 {
                     "--net", "--", "/bin/sh", "-c", "\"$0\" link set lo up && exec \"$@\"", IpPath(),
                     SambaPath, "-i", "-M", "single", "-s", ConfigPath,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var samba = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process for samba.");
        _samba = samba;
        samba.OutputDataReceived += (_, line) => Append(line.Data);
        samba.ErrorDataReceived += (_, line) => Append(line.Data);
        samba.BeginOutputReadLine();
        samba.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (samba.HasExited)
            {
                throw new InvalidOperationException($"samba exited with {samba.ExitCode} before it answered LDAP:\n{Output}");
            }

            // The namespace is samba's once unshare ran: the relays open it only after the first
            // sight of samba's own namespace, not the one unshare started in.
            if (_ldap is null && IsInOwnNamespace(samba.Id))
            {
                _ldap = new SambaNamespaceRelay($"/proc/{samba.Id}/ns/net", 389);
                _ldaps = new SambaNamespaceRelay($"/proc/{samba.Id}/ns/net", 636);
            }

            if (_ldap is not null && Answers(_ldap.Port))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"samba did not answer LDAP within {StartTimeout}:\n{Output}");
    }

    private static bool IsInOwnNamespace(int pid)
    {
        try
        {
            // The links read "net:[inode]": the same text is the same namespace.
            var own = new FileInfo("/proc/self/ns/net").LinkTarget;
            var theirs = new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
            return theirs is not null && theirs != own;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public async Task DisposeAsync()
    {
        _ldap?.Dispose();
        _ldaps?.Dispose();
        _ldap = null;
        _ldaps = null;
        if (_samba is { } samba)
        {
            _samba = null;
            try
            {
                if (!samba.HasExited)
                {
                    // Only what this fixture started: samba by its PID, with the processes it forked.
                    samba.Kill(entireProcessTree: true);
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await samba.WaitForExitAsync(timeout.Token);
                }
            }
            catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException)
            {
                // It exited meanwhile, or SIGKILL has not been reaped within 10 s: nothing more to do.
            }
            finally
            {
                samba.Dispose();
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>Settings for this DC with the Active Directory preset (sAMAccountName), plain LDAP unless changed.</summary>
    public LdapSettings Settings(LdapTlsMode tls = LdapTlsMode.None, string? caPem = null, IReadOnlyList<string>? servers = null)
        => LdapSettings.ActiveDirectory(servers ?? ["127.0.0.1"], BaseDn, BaseDn, ServiceAccountDn, ServiceAccountPassword) with
        {
            TlsMode = tls,
            CaCertificatesPem = caPem,
            Port = tls == LdapTlsMode.Ldaps ? LdapsPort : LdapPort,
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>A connection bound as the domain's Administrator, for tests that change the directory.</summary>
    public LdapConnection ConnectAsAdministrator()
    {
        var connection = new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1", LdapPort))
        {
            AuthType = AuthType.Basic,
            Timeout = TimeSpan.FromSeconds(10),
        };
        connection.SessionOptions.ProtocolVersion = 3;
        connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
        connection.Bind(new System.Net.NetworkCredential(AdministratorDn, AdministratorPassword));
        return connection;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    // An anonymous root DSE read, which AD allows: the DC answers it once its database is open.
    private static bool Answers(int port)
    {
        try
        {
            using var connection = new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1", port))
            {
                AuthType = AuthType.Anonymous,
                Timeout = TimeSpan.FromSeconds(2),
            };
            connection.SessionOptions.ProtocolVersion = 3;
            connection.Bind();
            var response = (SearchResponse)connection.SendRequest(new SearchRequest("", "(objectClass=*)", SearchScope.Base, "defaultNamingContext"));
            return response.ResultCode == ResultCode.Success;
        }
        catch (LdapException)
        {
            return false;
        }
        catch (DirectoryOperationException)
        {
            return false;
        }
    }

    private static string IpPath() => File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip";

    private async Task SambaToolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(SambaToolPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process for samba-tool.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"samba-tool {arguments[0]} {arguments[1]} did not finish within {ToolTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            // Never the Administrator password: it is an argument of provision.
            throw new InvalidOperationException(
                $"samba-tool {arguments[0]} {arguments[1]} failed ({process.ExitCode}):\n{await stdout}{await stderr}");
        }
    }
}
