package hosting

import (
	"net"
	"slices"
	"strconv"
)

// Interface is what LAN address listing needs of a network interface.
type Interface struct {
	Flags net.Flags
	Addrs []net.Addr
}

// LANAddresses lists mqtt://IP:port for every address friends on the LAN
// can reach: up, non-loopback interfaces; IPv4 first; link-local addresses
// (169.254/16, fe80::/10) left out since they need an interface name to use.
func LANAddresses(port int) []string {
	return lanAddresses(SystemInterfaces(), port)
}

// SystemInterfaces are this machine's interfaces (none if they cannot be read).
func SystemInterfaces() []Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var list []Interface
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		list = append(list, Interface{Flags: i.Flags, Addrs: addrs})
	}
	return list
}

func lanAddresses(ifs []Interface, port int) []string {
	var v4, v6 []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		for _, a := range i.Addrs {
			var ip net.IP
			switch a := a.(type) {
			case *net.IPNet:
				ip = a.IP
			case *net.IPAddr:
				ip = a.IP
			}
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
				continue
			}
			url := "mqtt://" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
			if ip.To4() != nil {
				v4 = append(v4, url)
			} else {
				v6 = append(v6, url)
			}
		}
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return slices.Compact(append(v4, v6...))
}
