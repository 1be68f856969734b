using System.DirectoryServices.Protocols;

namespace Appliance.Auth;

public sealed partial class LdapAuthenticator
{
    /// <summary>OID of AD's LDAP_MATCHING_RULE_IN_CHAIN: the DC follows member links transitively in one search.</summary>
    private const string MatchingRuleInChain = "1.2.840.113556.1.4.1941";

    /// <summary>One user's groups are bounded too: a directory answering with more is cut off, not followed.</summary>
    private const int MaximumGroups = 1000;

    // Group-by-member searches name this many DNs in one OR filter, one search per nesting level.
    private const int DistinguishedNamesPerSearch = 50;

    private List<LdapGroup> ResolveGroups(LdapConnection connection, SearchResultEntry user, string loginName, TimeSpan timeout)
    {
        var found = new Dictionary<string, LdapGroup>(StringComparer.OrdinalIgnoreCase);
        switch (_settings.GroupMembership)
        {
            case LdapGroupMembership.MemberUid:
                // memberUid holds login names, which cannot name a group: there is nothing to nest.
                AddGroups(found, SearchGroups(connection, $"({_settings.GroupMemberAttribute}={LdapFilter.Escape(loginName)})", timeout));
                break;
            case LdapGroupMembership.MemberDn when _settings.UseMatchingRuleInChain:
                AddGroups(found, SearchGroups(connection,
                    $"({_settings.GroupMemberAttribute}:{MatchingRuleInChain}:={LdapFilter.Escape(user.DistinguishedName)})", timeout));
                break;
            case LdapGroupMembership.MemberDn:
                ExpandByMember(connection, user.DistinguishedName, found, timeout);
                break;
            case LdapGroupMembership.MemberOf:
                ExpandByMemberOf(connection, user, found, timeout);
                break;
        }

        return [.. found.Values];
    }

    /// <summary>
    /// Breadth-first: the groups listing the user, then the groups listing those, level by level.
    /// A DN seen before is never searched again, so a cycle (A in B, B in A) ends.
    /// </summary>
    private void ExpandByMember(LdapConnection connection, string userDn, Dictionary<string, LdapGroup> found, TimeSpan timeout)
    {
        List<string> frontier = [userDn];
        for (var level = 0; frontier.Count > 0 && found.Count < MaximumGroups; level++)
        {
            if (level > _settings.NestedGroupDepth)
            {
                Log.LdapNestingBoundReached(_logger, userDn, _settings.NestedGroupDepth);
                break;
            }

            var next = new List<string>();
            foreach (var chunk in frontier.Chunk(DistinguishedNamesPerSearch))
            {
                var filter = "(|";
                foreach (var dn in chunk)
                {
                    filter += $"({_settings.GroupMemberAttribute}={LdapFilter.Escape(dn)})";
                }

                next.AddRange(AddGroups(found, SearchGroups(connection, filter + ")", timeout)));
            }

            frontier = next;
        }
    }

    /// <summary>Follows memberOf from the user to its groups and from each group to its parents, with the same bounds.</summary>
    private void ExpandByMemberOf(LdapConnection connection, SearchResultEntry user, Dictionary<string, LdapGroup> found, TimeSpan timeout)
    {
        var frontier = ReadStrings(user, "memberOf");
        for (var level = 0; frontier.Count > 0 && found.Count < MaximumGroups; level++)
        {
            if (level > _settings.NestedGroupDepth)
            {
                Log.LdapNestingBoundReached(_logger, user.DistinguishedName, _settings.NestedGroupDepth);
                break;
            }

            var next = new List<string>();
            foreach (var groupDn in frontier)
            {
                if (found.ContainsKey(groupDn))
                {
                    continue;
                }

                var request = new SearchRequest(groupDn, $"(objectClass={_settings.GroupObjectClass})", SearchScope.Base,
                    _settings.UniqueIdAttribute, _settings.GroupNameAttribute, "memberOf");
                SearchResponse response;
                try
                {
                    response = (SearchResponse)connection.SendRequest(request, timeout);
                }
                catch (DirectoryOperationException exception) when (exception.Response?.ResultCode == ResultCode.NoSuchObject)
                {
                    // memberOf may name a group deleted since (without refint): not a group of the user.
                    continue;
                }

                foreach (SearchResultEntry entry in response.Entries)
                {
                    if (AddGroup(found, entry))
                    {
                        next.AddRange(ReadStrings(entry, "memberOf"));
                    }
                }
            }

            frontier = next;
        }
    }

    private SearchResultEntryCollection SearchGroups(LdapConnection connection, string memberFilter, TimeSpan timeout)
    {
        var filter = $"(&(objectClass={_settings.GroupObjectClass}){memberFilter})";
        var request = new SearchRequest(_settings.GroupSearchBase, filter, SearchScope.Subtree,
            _settings.UniqueIdAttribute, _settings.GroupNameAttribute) { SizeLimit = MaximumGroups };
        return ((SearchResponse)connection.SendRequest(request, timeout)).Entries;
    }

    /// <summary>Adds the groups not seen yet and returns their DNs, the next level to expand.</summary>
    private List<string> AddGroups(Dictionary<string, LdapGroup> found, SearchResultEntryCollection entries)
    {
        var added = new List<string>();
        foreach (SearchResultEntry entry in entries)
        {
            if (AddGroup(found, entry))
            {
                added.Add(entry.DistinguishedName);
            }
        }

        return added;
    }

    private bool AddGroup(Dictionary<string, LdapGroup> found, SearchResultEntry entry)
    {
        if (found.ContainsKey(entry.DistinguishedName))
        {
            return false;
        }

        if (ReadPrincipal(entry, _settings.GroupPrincipalKind) is not { } principal)
        {
            Log.LdapGroupSkipped(_logger, entry.DistinguishedName, _settings.UniqueIdAttribute);
            return false;
        }

        var name = ReadString(entry, _settings.GroupNameAttribute) ?? entry.DistinguishedName;
        found.Add(entry.DistinguishedName, new LdapGroup(principal, entry.DistinguishedName, name));
        return true;
    }
}
