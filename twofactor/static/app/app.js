var Xt=Object.defineProperty;var Zt=(e,t,n)=>t in e?Xt(e,t,{enumerable:!0,configurable:!0,writable:!0,value:n}):e[t]=n;var de=(e,t,n)=>Zt(e,typeof t!="symbol"?t+"":t,n);var Ae,R,at,en,se,rt,ct,ut,lt,He,Ke,qe,tn,he={},dt=[],nn=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,Ie=Array.isArray;function te(e,t){for(var n in t)e[n]=t[n];return e}function Ye(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function Be(e,t,n){var r,s,o,c={};for(o in t)o=="key"?r=t[o]:o=="ref"?s=t[o]:c[o]=t[o];if(arguments.length>2&&(c.children=arguments.length>3?Ae.call(arguments,2):n),typeof e=="function"&&e.defaultProps!=null)for(o in e.defaultProps)c[o]===void 0&&(c[o]=e.defaultProps[o]);return ke(e,c,r,s,null)}function ke(e,t,n,r,s){var o={type:e,props:t,key:n,ref:r,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:s??++at,__i:-1,__u:0};return s==null&&R.vnode!=null&&R.vnode(o),o}function Re(e){return e.children}function Te(e,t){this.props=e,this.context=t}function pe(e,t){if(t==null)return e.__?pe(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type=="function"?pe(e):null}function pt(e){var t,n;if((e=e.__)!=null&&e.__c!=null){for(e.__e=e.__c.base=null,t=0;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null){e.__e=e.__c.base=n.__e;break}return pt(e)}}function ot(e){(!e.__d&&(e.__d=!0)&&se.push(e)&&!xe.__r++||rt!=R.debounceRendering)&&((rt=R.debounceRendering)||ct)(xe)}function xe(){for(var e,t,n,r,s,o,c,u=1;se.length;)se.length>u&&se.sort(ut),e=se.shift(),u=se.length,e.__d&&(n=void 0,r=void 0,s=(r=(t=e).__v).__e,o=[],c=[],t.__P&&((n=te({},r)).__v=r.__v+1,R.vnode&&R.vnode(n),Ge(t.__P,n,r,t.__n,t.__P.namespaceURI,32&r.__u?[s]:null,o,s??pe(r),!!(32&r.__u),c),n.__v=r.__v,n.__.__k[n.__i]=n,_t(o,n,c),r.__e=r.__=null,n.__e!=s&&pt(n)));xe.__r=0}function ft(e,t,n,r,s,o,c,u,l,i,f){var a,p,y,g,w,_,b,m=r&&r.__k||dt,v=t.length;for(l=rn(n,t,m,l,v),a=0;a<v;a++)(y=n.__k[a])!=null&&(p=y.__i==-1?he:m[y.__i]||he,y.__i=a,_=Ge(e,y,p,s,o,c,u,l,i,f),g=y.__e,y.ref&&p.ref!=y.ref&&(p.ref&&Ve(p.ref,null,y),f.push(y.ref,y.__c||g,y)),w==null&&g!=null&&(w=g),(b=!!(4&y.__u))||p.__k===y.__k?l=yt(y,l,e,b):typeof y.type=="function"&&_!==void 0?l=_:g&&(l=g.nextSibling),y.__u&=-7);return n.__e=w,l}function rn(e,t,n,r,s){var o,c,u,l,i,f=n.length,a=f,p=0;for(e.__k=new Array(s),o=0;o<s;o++)(c=t[o])!=null&&typeof c!="boolean"&&typeof c!="function"?(l=o+p,(c=e.__k[o]=typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?ke(null,c,null,null,null):Ie(c)?ke(Re,{children:c},null,null,null):c.constructor==null&&c.__b>0?ke(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):c).__=e,c.__b=e.__b+1,u=null,(i=c.__i=on(c,n,l,a))!=-1&&(a--,(u=n[i])&&(u.__u|=2)),u==null||u.__v==null?(i==-1&&(s>f?p--:s<f&&p++),typeof c.type!="function"&&(c.__u|=4)):i!=l&&(i==l-1?p--:i==l+1?p++:(i>l?p--:p++,c.__u|=4))):e.__k[o]=null;if(a)for(o=0;o<f;o++)(u=n[o])!=null&&(2&u.__u)==0&&(u.__e==r&&(r=pe(u)),ht(u,u));return r}function yt(e,t,n,r){var s,o;if(typeof e.type=="function"){for(s=e.__k,o=0;s&&o<s.length;o++)s[o]&&(s[o].__=e,t=yt(s[o],t,n,r));return t}e.__e!=t&&(r&&(t&&e.type&&!t.parentNode&&(t=pe(e)),n.insertBefore(e.__e,t||null)),t=e.__e);do t=t&&t.nextSibling;while(t!=null&&t.nodeType==8);return t}function on(e,t,n,r){var s,o,c,u=e.key,l=e.type,i=t[n],f=i!=null&&(2&i.__u)==0;if(i===null&&e.key==null||f&&u==i.key&&l==i.type)return n;if(r>(f?1:0)){for(s=n-1,o=n+1;s>=0||o<t.length;)if((i=t[c=s>=0?s--:o++])!=null&&(2&i.__u)==0&&u==i.key&&l==i.type)return c}return-1}function st(e,t,n){t[0]=="-"?e.setProperty(t,n??""):e[t]=n==null?"":typeof n!="number"||nn.test(t)?n:n+"px"}function Ce(e,t,n,r,s){var o,c;e:if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof r=="string"&&(e.style.cssText=r=""),r)for(t in r)n&&t in n||st(e.style,t,"");if(n)for(t in n)r&&n[t]==r[t]||st(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")o=t!=(t=t.replace(lt,"$1")),c=t.toLowerCase(),t=c in e||t=="onFocusOut"||t=="onFocusIn"?c.slice(2):t.slice(2),e.l||(e.l={}),e.l[t+o]=n,n?r?n.u=r.u:(n.u=He,e.addEventListener(t,o?qe:Ke,o)):e.removeEventListener(t,o?qe:Ke,o);else{if(s=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{e[t]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n))}}function it(e){return function(t){if(this.l){var n=this.l[t.type+e];if(t.t==null)t.t=He++;else if(t.t<n.u)return;return n(R.event?R.event(t):t)}}}function Ge(e,t,n,r,s,o,c,u,l,i){var f,a,p,y,g,w,_,b,m,v,I,h,T,O,q,S,V,W=t.type;if(t.constructor!=null)return null;128&n.__u&&(l=!!(32&n.__u),o=[u=t.__e=n.__e]),(f=R.__b)&&f(t);e:if(typeof W=="function")try{if(b=t.props,m="prototype"in W&&W.prototype.render,v=(f=W.contextType)&&r[f.__c],I=f?v?v.props.value:f.__:r,n.__c?_=(a=t.__c=n.__c).__=a.__E:(m?t.__c=a=new W(b,I):(t.__c=a=new Te(b,I),a.constructor=W,a.render=an),v&&v.sub(a),a.props=b,a.state||(a.state={}),a.context=I,a.__n=r,p=a.__d=!0,a.__h=[],a._sb=[]),m&&a.__s==null&&(a.__s=a.state),m&&W.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=te({},a.__s)),te(a.__s,W.getDerivedStateFromProps(b,a.__s))),y=a.props,g=a.state,a.__v=t,p)m&&W.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),m&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(m&&W.getDerivedStateFromProps==null&&b!==y&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps(b,I),!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate(b,a.__s,I)===!1||t.__v==n.__v){for(t.__v!=n.__v&&(a.props=b,a.state=a.__s,a.__d=!1),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(H){H&&(H.__=t)}),h=0;h<a._sb.length;h++)a.__h.push(a._sb[h]);a._sb=[],a.__h.length&&c.push(a);break e}a.componentWillUpdate!=null&&a.componentWillUpdate(b,a.__s,I),m&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(y,g,w)})}if(a.context=I,a.props=b,a.__P=e,a.__e=!1,T=R.__r,O=0,m){for(a.state=a.__s,a.__d=!1,T&&T(t),f=a.render(a.props,a.state,a.context),q=0;q<a._sb.length;q++)a.__h.push(a._sb[q]);a._sb=[]}else do a.__d=!1,T&&T(t),f=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++O<25);a.state=a.__s,a.getChildContext!=null&&(r=te(te({},r),a.getChildContext())),m&&!p&&a.getSnapshotBeforeUpdate!=null&&(w=a.getSnapshotBeforeUpdate(y,g)),S=f,f!=null&&f.type===Re&&f.key==null&&(S=mt(f.props.children)),u=ft(e,Ie(S)?S:[S],t,n,r,s,o,c,u,l,i),a.base=t.__e,t.__u&=-161,a.__h.length&&c.push(a),_&&(a.__E=a.__=null)}catch(H){if(t.__v=null,l||o!=null)if(H.then){for(t.__u|=l?160:128;u&&u.nodeType==8&&u.nextSibling;)u=u.nextSibling;o[o.indexOf(u)]=null,t.__e=u}else{for(V=o.length;V--;)Ye(o[V]);We(t)}else t.__e=n.__e,t.__k=n.__k,H.then||We(t);R.__e(H,t,n)}else o==null&&t.__v==n.__v?(t.__k=n.__k,t.__e=n.__e):u=t.__e=sn(n.__e,t,n,r,s,o,c,l,i);return(f=R.diffed)&&f(t),128&t.__u?void 0:u}function We(e){e&&e.__c&&(e.__c.__e=!0),e&&e.__k&&e.__k.forEach(We)}function _t(e,t,n){for(var r=0;r<n.length;r++)Ve(n[r],n[++r],n[++r]);R.__c&&R.__c(t,e),e.some(function(s){try{e=s.__h,s.__h=[],e.some(function(o){o.call(s)})}catch(o){R.__e(o,s.__v)}})}function mt(e){return typeof e!="object"||e==null||e.__b&&e.__b>0?e:Ie(e)?e.map(mt):te({},e)}function sn(e,t,n,r,s,o,c,u,l){var i,f,a,p,y,g,w,_=n.props,b=t.props,m=t.type;if(m=="svg"?s="http://www.w3.org/2000/svg":m=="math"?s="http://www.w3.org/1998/Math/MathML":s||(s="http://www.w3.org/1999/xhtml"),o!=null){for(i=0;i<o.length;i++)if((y=o[i])&&"setAttribute"in y==!!m&&(m?y.localName==m:y.nodeType==3)){e=y,o[i]=null;break}}if(e==null){if(m==null)return document.createTextNode(b);e=document.createElementNS(s,m,b.is&&b),u&&(R.__m&&R.__m(t,o),u=!1),o=null}if(m==null)_===b||u&&e.data==b||(e.data=b);else{if(o=o&&Ae.call(e.childNodes),_=n.props||he,!u&&o!=null)for(_={},i=0;i<e.attributes.length;i++)_[(y=e.attributes[i]).name]=y.value;for(i in _)if(y=_[i],i!="children"){if(i=="dangerouslySetInnerHTML")a=y;else if(!(i in b)){if(i=="value"&&"defaultValue"in b||i=="checked"&&"defaultChecked"in b)continue;Ce(e,i,null,y,s)}}for(i in b)y=b[i],i=="children"?p=y:i=="dangerouslySetInnerHTML"?f=y:i=="value"?g=y:i=="checked"?w=y:u&&typeof y!="function"||_[i]===y||Ce(e,i,y,_[i],s);if(f)u||a&&(f.__html==a.__html||f.__html==e.innerHTML)||(e.innerHTML=f.__html),t.__k=[];else if(a&&(e.innerHTML=""),ft(t.type=="template"?e.content:e,Ie(p)?p:[p],t,n,r,m=="foreignObject"?"http://www.w3.org/1999/xhtml":s,o,c,o?o[0]:n.__k&&pe(n,0),u,l),o!=null)for(i=o.length;i--;)Ye(o[i]);u||(i="value",m=="progress"&&g==null?e.removeAttribute("value"):g!=null&&(g!==e[i]||m=="progress"&&!g||m=="option"&&g!=_[i])&&Ce(e,i,g,_[i],s),i="checked",w!=null&&w!=e[i]&&Ce(e,i,w,_[i],s))}return e}function Ve(e,t,n){try{if(typeof e=="function"){var r=typeof e.__u=="function";r&&e.__u(),r&&t==null||(e.__u=e(t))}else e.current=t}catch(s){R.__e(s,n)}}function ht(e,t,n){var r,s;if(R.unmount&&R.unmount(e),(r=e.ref)&&(r.current&&r.current!=e.__e||Ve(r,null,t)),(r=e.__c)!=null){if(r.componentWillUnmount)try{r.componentWillUnmount()}catch(o){R.__e(o,t)}r.base=r.__P=null}if(r=e.__k)for(s=0;s<r.length;s++)r[s]&&ht(r[s],t,n||typeof e.type!="function");n||Ye(e.__e),e.__c=e.__=e.__e=void 0}function an(e,t,n){return this.constructor(e,n)}function gt(e,t,n){var r,s,o,c;t==document&&(t=document.documentElement),R.__&&R.__(e,t),s=(r=typeof n=="function")?null:n&&n.__k||t.__k,o=[],c=[],Ge(t,e=(!r&&n||t).__k=Be(Re,null,[e]),s||he,he,t.namespaceURI,!r&&n?[n]:s?null:t.firstChild?Ae.call(t.childNodes):null,o,!r&&n?n:s?s.__e:t.firstChild,r,c),_t(o,e,c)}Ae=dt.slice,R={__e:function(e,t,n,r){for(var s,o,c;t=t.__;)if((s=t.__c)&&!s.__)try{if((o=s.constructor)&&o.getDerivedStateFromError!=null&&(s.setState(o.getDerivedStateFromError(e)),c=s.__d),s.componentDidCatch!=null&&(s.componentDidCatch(e,r||{}),c=s.__d),c)return s.__E=s}catch(u){e=u}throw e}},at=0,en=function(e){return e!=null&&e.constructor==null},Te.prototype.setState=function(e,t){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=te({},this.state),typeof e=="function"&&(e=e(te({},n),this.props)),e&&te(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),ot(this))},Te.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),ot(this))},Te.prototype.render=Re,se=[],ct=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,ut=function(e,t){return e.__v.__b-t.__v.__b},xe.__r=0,lt=/(PointerCapture)$|Capture$/i,He=0,Ke=it(!1),qe=it(!0),tn=0;var ge,F,je,$t,Oe=0,Tt=[],U=R,bt=U.__b,wt=U.__r,vt=U.diffed,St=U.__c,Et=U.unmount,Ct=U.__;function Qe(e,t){U.__h&&U.__h(F,e,Oe||t),Oe=0;var n=F.__H||(F.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function $(e){return Oe=1,cn(At,e)}function cn(e,t,n){var r=Qe(ge++,2);if(r.t=e,!r.__c&&(r.__=[n?n(t):At(void 0,t),function(u){var l=r.__N?r.__N[0]:r.__[0],i=r.t(l,u);l!==i&&(r.__N=[i,r.__[1]],r.__c.setState({}))}],r.__c=F,!F.__f)){var s=function(u,l,i){if(!r.__c.__H)return!0;var f=r.__c.__H.__.filter(function(p){return!!p.__c});if(f.every(function(p){return!p.__N}))return!o||o.call(this,u,l,i);var a=r.__c.props!==u;return f.forEach(function(p){if(p.__N){var y=p.__[0];p.__=p.__N,p.__N=void 0,y!==p.__[0]&&(a=!0)}}),o&&o.call(this,u,l,i)||a};F.__f=!0;var o=F.shouldComponentUpdate,c=F.componentWillUpdate;F.componentWillUpdate=function(u,l,i){if(this.__e){var f=o;o=void 0,s(u,l,i),o=f}c&&c.call(this,u,l,i)},F.shouldComponentUpdate=s}return r.__N||r.__}function L(e,t){var n=Qe(ge++,3);!U.__s&&xt(n.__H,t)&&(n.__=e,n.u=t,F.__H.__h.push(n))}function ne(e){return Oe=5,un(function(){return{current:e}},[])}function un(e,t){var n=Qe(ge++,7);return xt(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function ln(){for(var e;e=Tt.shift();)if(e.__P&&e.__H)try{e.__H.__h.forEach(De),e.__H.__h.forEach(Je),e.__H.__h=[]}catch(t){e.__H.__h=[],U.__e(t,e.__v)}}U.__b=function(e){F=null,bt&&bt(e)},U.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),Ct&&Ct(e,t)},U.__r=function(e){wt&&wt(e),ge=0;var t=(F=e.__c).__H;t&&(je===F?(t.__h=[],F.__h=[],t.__.forEach(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(t.__h.forEach(De),t.__h.forEach(Je),t.__h=[],ge=0)),je=F},U.diffed=function(e){vt&&vt(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(Tt.push(t)!==1&&$t===U.requestAnimationFrame||(($t=U.requestAnimationFrame)||dn)(ln)),t.__H.__.forEach(function(n){n.u&&(n.__H=n.u),n.u=void 0})),je=F=null},U.__c=function(e,t){t.some(function(n){try{n.__h.forEach(De),n.__h=n.__h.filter(function(r){return!r.__||Je(r)})}catch(r){t.some(function(s){s.__h&&(s.__h=[])}),t=[],U.__e(r,n.__v)}}),St&&St(e,t)},U.unmount=function(e){Et&&Et(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.forEach(function(r){try{De(r)}catch(s){t=s}}),n.__H=void 0,t&&U.__e(t,n.__v))};var kt=typeof requestAnimationFrame=="function";function dn(e){var t,n=function(){clearTimeout(r),kt&&cancelAnimationFrame(t),setTimeout(e)},r=setTimeout(n,35);kt&&(t=requestAnimationFrame(n))}function De(e){var t=F,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),F=t}function Je(e){var t=F;e.__c=e.__(),F=t}function xt(e,t){return!e||e.length!==t.length||t.some(function(n,r){return n!==e[r]})}function At(e,t){return typeof t=="function"?t(e):t}function Q(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function oe(e){return Q(e)==="object"}function pn(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function ze(e,t){return e.length<124?e:t}var It="graphql-transport-ws";var z=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(z||{}),X=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(X||{});function Rt(e){if(!oe(e))throw new Error(`Message is expected to be an object, but got ${Q(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${Q(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!oe(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!oe(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${Q(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${Q(e.payload.query)}`);if(e.payload.variables!=null&&!oe(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${Q(e.payload.variables)}`);if(e.payload.operationName!=null&&Q(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${Q(e.payload.operationName)}`);if(e.payload.extensions!=null&&!oe(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${Q(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!oe(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${Q(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!pn(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${Q(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function Dt(e,t){return Rt(typeof e=="string"?JSON.parse(e,t):e)}function fe(e,t){return Rt(e),JSON.stringify(e,t)}function Ze(e){let{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:s=console.error,lazyCloseTimeout:o=0,keepAlive:c=0,disablePong:u,connectionAckWaitTimeout:l=0,retryAttempts:i=5,retryWait:f=async function(P){let E=Math.pow(2,P);await new Promise(k=>setTimeout(k,E*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:a=Xe,on:p,webSocketImpl:y,generateID:g=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,P=>{let E=Math.random()*16|0;return(P=="x"?E:E&3|8).toString(16)})},jsonMessageReplacer:w,jsonMessageReviver:_}=e,b;if(y){if(!yn(y))throw new Error("Invalid WebSocket implementation provided");b=y}else typeof WebSocket<"u"?b=WebSocket:typeof global<"u"?b=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(b=window.WebSocket||window.MozWebSocket);if(!b)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let m=b,v=(()=>{let C=(()=>{let E={};return{on(k,N){return E[k]=N,()=>{delete E[k]}},emit(k){"id"in k&&E[k.id]?.(k)}}})(),P={connecting:p?.connecting?[p.connecting]:[],opened:p?.opened?[p.opened]:[],connected:p?.connected?[p.connected]:[],ping:p?.ping?[p.ping]:[],pong:p?.pong?[p.pong]:[],message:p?.message?[C.emit,p.message]:[C.emit],closed:p?.closed?[p.closed]:[],error:p?.error?[p.error]:[]};return{onMessage:C.on,on(E,k){let N=P[E];return N.push(k),()=>{N.splice(N.indexOf(k),1)}},emit(E,...k){for(let N of[...P[E]])N(...k)}}})();function I(C){let P=[v.on("error",E=>{P.forEach(k=>k()),C(E)}),v.on("closed",E=>{P.forEach(k=>k()),C(E)})]}let h,T=0,O,q=!1,S=0,V=!1;async function W(){clearTimeout(O);let[C,P]=await(h??(h=new Promise((N,J)=>(async()=>{if(q){if(await f(S),!T)return h=void 0,J({code:1e3,reason:"All Subscriptions Gone"});S++}v.emit("connecting",q);let x=new m(typeof t=="function"?await t():t,It),ue,me;function Ee(){isFinite(c)&&c>0&&(clearTimeout(me),me=setTimeout(()=>{x.readyState===m.OPEN&&(x.send(fe({type:X.Ping})),v.emit("ping",!1,void 0))},c))}I(B=>{h=void 0,clearTimeout(ue),clearTimeout(me),J(B),B instanceof $e&&(x.close(4499,"Terminated"),x.onerror=null,x.onclose=null)}),x.onerror=B=>v.emit("error",B),x.onclose=B=>v.emit("closed",B),x.onopen=async()=>{try{v.emit("opened",x);let B=typeof n=="function"?await n():n;if(x.readyState!==m.OPEN)return;x.send(fe(B?{type:X.ConnectionInit,payload:B}:{type:X.ConnectionInit},w)),isFinite(l)&&l>0&&(ue=setTimeout(()=>{x.close(z.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},l)),Ee()}catch(B){v.emit("error",B),x.close(z.InternalClientError,ze(B instanceof Error?B.message:String(B),"Internal client error"))}};let le=!1;x.onmessage=({data:B})=>{try{let Y=Dt(B,_);if(v.emit("message",Y),Y.type==="ping"||Y.type==="pong"){v.emit(Y.type,!0,Y.payload),Y.type==="pong"?Ee():u||(x.send(fe(Y.payload?{type:X.Pong,payload:Y.payload}:{type:X.Pong})),v.emit("pong",!1,Y.payload));return}if(le)return;if(Y.type!==X.ConnectionAck)throw new Error(`First message cannot be of type ${Y.type}`);clearTimeout(ue),le=!0,v.emit("connected",x,Y.payload,q),q=!1,S=0,N([x,new Promise((qn,zt)=>I(zt))])}catch(Y){x.onmessage=null,v.emit("error",Y),x.close(z.BadResponse,ze(Y instanceof Error?Y.message:String(Y),"Bad response"))}}})())));C.readyState===m.CLOSING&&await P;let E=()=>{},k=new Promise(N=>E=N);return[C,E,Promise.race([k.then(()=>{if(!T){let N=()=>C.close(1e3,"Normal Closure");isFinite(o)&&o>0?O=setTimeout(()=>{C.readyState===m.OPEN&&N()},o):N()}}),P])]}function H(C){if(Xe(C)&&(fn(C.code)||[z.InternalServerError,z.InternalClientError,z.BadRequest,z.BadResponse,z.Unauthorized,z.SubprotocolNotAcceptable,z.SubscriberAlreadyExists,z.TooManyInitialisationRequests].includes(C.code)))throw C;if(V)return!1;if(Xe(C)&&C.code===1e3)return T>0;if(!i||S>=i||!a(C))throw C;return q=!0}r||(async()=>{for(T++;;)try{let[,,C]=await W();await C}catch(C){try{if(!H(C))return}catch(P){return s?.(P)}}})();function nt(C,P){let E=g(C),k=!1,N=!1,J=()=>{T--,k=!0};return(async()=>{for(T++;;)try{let[x,ue,me]=await W();if(k)return ue();let Ee=v.onMessage(E,le=>{switch(le.type){case X.Next:{P.next(le.payload);return}case X.Error:{N=!0,k=!0,P.error(le.payload),J();return}case X.Complete:{k=!0,J();return}}});x.send(fe({id:E,type:X.Subscribe,payload:C},w)),J=()=>{!k&&x.readyState===m.OPEN&&x.send(fe({id:E,type:X.Complete},w)),T--,k=!0,ue()},await me.finally(Ee);return}catch(x){if(!H(x))return}})().then(()=>{N||P.complete()}).catch(x=>{P.error(x)}),()=>{k||J()}}return{on:v.on,subscribe:nt,iterate(C){let P=[],E={done:!1,error:null,resolve:()=>{}},k=nt(C,{next(J){P.push(J),E.resolve()},error(J){E.done=!0,E.error=J,E.resolve()},complete(){E.done=!0,E.resolve()}}),N=(async function*(){for(;;){for(P.length||await new Promise(x=>E.resolve=x);P.length;)yield P.shift();if(E.error)throw E.error;if(E.done)return}})();return N.throw=async J=>(E.done||(E.done=!0,E.error=J,E.resolve()),{done:!0,value:void 0}),N.return=async()=>(k(),{done:!0,value:void 0}),N},async dispose(){if(V=!0,h){let[C]=await h;C.close(1e3,"Normal Closure")}},terminate(){h&&v.emit("closed",new $e)}}}var $e=class extends Error{constructor(){super(...arguments);de(this,"name","TerminatedCloseEvent");de(this,"message","4499: Terminated");de(this,"code",4499);de(this,"reason","Terminated");de(this,"wasClean",!1)}};function Xe(e){return oe(e)&&"code"in e&&"reason"in e}function fn(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function yn(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}var be=class extends Error{constructor(t,n){super(t),this.code=n}},M="error { code message field retryAfterSeconds attemptsLeft }",Pe="id name method email createdAt lastUsedAt securityKey { synced backedUp aaguid suspendedAt }",ie="id method status name email expiresAt attemptsLeft resendAvailableAt",Ot=`enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${Pe} }`,Pt={session:`query Session {
    session { nextStep expiresAt user { id email name isAdmin } authenticators { id name method } }
  }`,login:`mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${M}
    }
  }`,logout:"mutation Logout { logout { ok } }",sendLoginCode:`mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${M} }
  }`,verifyLogin:`mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${M} }
  }`,securityKeyOptions:`mutation SecurityKeyOptions {
    securityKeyOptions { requestOptions expiresAt ${M} }
  }`,verifyLoginWithSecurityKey:`mutation VerifyLoginWithSecurityKey($credential: JSON!) {
    verifyLoginWithSecurityKey(credential: $credential) { session { nextStep user { id email name isAdmin } } ${M} }
  }`,verifyRecoveryCode:`mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${M} }
  }`,myTwoFactor:`query MyTwoFactor { myTwoFactor { ${Ot} } }`,setUpEmail:`mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${ie} } ${M} } }
  }`,setUpApp:`mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${ie} app { setupKey otpauthUri qrCodePng digits period } } ${M}
    } }
  }`,setUpSecurityKey:`mutation SetUpSecurityKey($name: String!, $code: String) {
    myTwoFactor { setUpSecurityKey(name: $name, code: $code) {
      setup { ${ie} securityKey { creationOptions } } ${M}
    } }
  }`,submitSecurityKey:`mutation SubmitSecurityKey($setupId: ID!, $credential: JSON!, $name: String) {
    myTwoFactor { submitSecurityKey(setupId: $setupId, credential: $credential, name: $name) {
      authenticator { ${Pe} } message recoveryCodes setup { ${ie} } ${M}
    } }
  }`,resendCode:`mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${ie} } ${M} } }
  }`,submitCode:`mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${Pe} } message recoveryCodes setup { ${ie} } ${M}
    } }
  }`,cancelSetup:`mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${M} } }
  }`,edit:`mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${Pe} } ${M} } }
  }`,remove:`mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${M} } }
  }`,regenerate:`mutation RegenerateRecoveryCodes($code: String) {
    myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes ${M} } }
  }`,mySessions:"query MySessions { mySessions { id device ip createdAt lastSeenAt current nextStep } }",endSession:`mutation EndSession($id: ID!) { endSession(id: $id) { endedIds ${M} } }`,endOtherSessions:`mutation EndOtherSessions { endOtherSessions { endedIds ${M} } }`,verification:`subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${ie} }
  }`,changed:`subscription Changed { myTwoFactorChanged { ${Ot} } }`,policy:"query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }",setPolicy:`mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${M} } }
  }`,userByEmail:"query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }",resetUser:`mutation ResetUser($userId: ID!, $code: String) {
    admin { resetUserTwoFactor(userId: $userId, code: $code) { user { id email } ${M} } }
  }`,auditEvents:`query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`};async function K(e,t={}){let n;try{n=await fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({query:Pt[e],variables:t})})}catch{throw new be("The server cannot be reached. Check your connection and try again.","NETWORK")}let r;try{r=await n.json()}catch{throw new be(`The server answered ${n.status}. Try again shortly.`,"SERVER")}if(r.errors&&r.errors.length){let s=r.errors[0],o=s.extensions&&s.extensions.code||"SERVER";throw new be(s.message,o)}return r.data}var ye=null;function _n(){if(ye===null){let e=window.location.protocol==="https:"?"wss://":"ws://";ye=Ze({url:e+window.location.host+"/graphql",lazy:!0,retryAttempts:5,shouldRetry:t=>!(t&&typeof t.code=="number"&&t.code>=4400&&t.code<4500)})}return ye}function et(e,t,n,r){return _n().subscribe({query:Pt[e],variables:t},{next:s=>{s.data&&n(s.data)},error:()=>r&&r(),complete:()=>r&&r()})}function tt(){ye!==null&&(ye.dispose(),ye=null)}var Nt=function(e,t,n,r){var s;t[0]=0;for(var o=1;o<t.length;o++){var c=t[o++],u=t[o]?(t[0]|=c?1:2,n[t[o++]]):t[++o];c===3?r[0]=u:c===4?r[1]=Object.assign(r[1]||{},u):c===5?(r[1]=r[1]||{})[t[++o]]=u:c===6?r[1][t[++o]]+=u+"":c?(s=e.apply(u,Nt(e,u,n,["",null])),r.push(s),u[0]?t[0]|=2:(t[o-2]=0,t[o]=s)):r.push(u)}return r},Lt=new Map;function Ft(e){var t=Lt.get(this);return t||(t=new Map,Lt.set(this,t)),(t=Nt(this,t.get(e)||(t.set(e,t=(function(n){for(var r,s,o=1,c="",u="",l=[0],i=function(p){o===1&&(p||(c=c.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?l.push(0,p,c):o===3&&(p||c)?(l.push(3,p,c),o=2):o===2&&c==="..."&&p?l.push(4,p,0):o===2&&c&&!p?l.push(5,0,!0,c):o>=5&&((c||!p&&o===5)&&(l.push(o,0,c,s),o=6),p&&(l.push(o,p,0,s),o=6)),c=""},f=0;f<n.length;f++){f&&(o===1&&i(),i(f));for(var a=0;a<n[f].length;a++)r=n[f][a],o===1?r==="<"?(i(),l=[l],o=3):c+=r:o===4?c==="--"&&r===">"?(o=1,c=""):c=r+c[0]:u?r===u?u="":c+=r:r==='"'||r==="'"?u=r:r===">"?(i(),o=1):o&&(r==="="?(o=5,s=c,c=""):r==="/"&&(o<5||n[f][a+1]===">")?(i(),o===3&&(l=l[0]),o=l,(l=l[0]).push(2,0,o),o=0):r===" "||r==="	"||r===`
`||r==="\r"?(i(),o=2):c+=r),o===3&&c==="!--"&&(o=4,l=l[0])}return i(),l})(e)),t),arguments,[])).length>1?t:t[0]}var d=Ft.bind(Be),Le={EMAIL:"Email",APP:"Authenticator app",SECURITY_KEY:"Security key or passkey"};function Ne(e){return Le[e]||e.charAt(0)+e.slice(1).toLowerCase().replace(/_/g," ")}function re(e){return e?new Date(e).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):"Never"}function we(e){let t=()=>e?Math.max(0,Math.ceil((e.getTime()-Date.now())/1e3)):0,[n,r]=$(t());return L(()=>{if(r(t()),!e)return;let s=setInterval(()=>{let o=t();r(o),o===0&&clearInterval(s)},1e3);return()=>clearInterval(s)},[e&&e.getTime()]),n}function mn(e){return e?new Date(Date.now()+e*1e3):null}function D(e){return e?{code:e.code,message:e.message,retryAt:mn(e.retryAfterSeconds),wait:e.retryAfterSeconds||null,attemptsLeft:e.attemptsLeft}:null}function hn(e){return e<90?`${e} ${e===1?"second":"seconds"}`:`${Math.ceil(e/60)} minutes`}function A({error:e}){let t=we(e?e.retryAt:null);return e?d`<p class="error">
    <span role="alert">
      ${e.message}
      ${e.wait?d` <span class="visually-hidden">You can try again in ${hn(e.wait)}.</span>`:null}
      ${e.attemptsLeft!=null&&e.attemptsLeft>0?d` <span class="attempts">${e.attemptsLeft} ${e.attemptsLeft===1?"try":"tries"} left.</span>`:null}
    </span>
    ${t>0?d` <span class="wait" aria-hidden="true">Try again in ${t} s.</span>`:null}
  </p>`:null}function G({id:e,label:t,hint:n,...r}){return d`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${e} ...${r} aria-describedby=${n?`${e}-hint`:void 0} />
    ${n?d`<p class="hint" id=${`${e}-hint`}>${n}</p>`:null}
  </div>`}var ve={inputmode:"numeric",autocomplete:"one-time-code",pattern:"[0-9 ]*",maxlength:8,required:!0};function Se(){let e=ne(null);return L(()=>{e.current&&e.current.focus()},[]),e}var ee=class extends Error{constructor(t,n){super(t),this.code=n}},Ut="This browser cannot use security keys or passkeys. Use a current Chrome, Edge, Firefox or Safari, or another method.";function Ue(){return!!(window.isSecureContext&&window.PublicKeyCredential&&navigator.credentials&&navigator.credentials.create)}function Fe(e){let t=e.replace(/-/g,"+").replace(/_/g,"/")+"===".slice((e.length+3)%4);return Uint8Array.from(atob(t),n=>n.charCodeAt(0)).buffer}function _e(e){let t="";for(let n of new Uint8Array(e))t+=String.fromCharCode(n);return btoa(t).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"")}var Mt=e=>(e||[]).map(t=>({...t,id:Fe(t.id)}));function Kt(e){return typeof e=="string"?JSON.parse(e):e}function gn(e){return typeof PublicKeyCredential.parseCreationOptionsFromJSON=="function"?PublicKeyCredential.parseCreationOptionsFromJSON(e):{...e,challenge:Fe(e.challenge),user:{...e.user,id:Fe(e.user.id)},excludeCredentials:Mt(e.excludeCredentials)}}function $n(e){return typeof PublicKeyCredential.parseRequestOptionsFromJSON=="function"?PublicKeyCredential.parseRequestOptionsFromJSON(e):{...e,challenge:Fe(e.challenge),allowCredentials:Mt(e.allowCredentials)}}function qt(e){if(typeof e.toJSON=="function")return e.toJSON();let t=e.response,n={clientDataJSON:_e(t.clientDataJSON)};return t.attestationObject?(n.attestationObject=_e(t.attestationObject),n.transports=typeof t.getTransports=="function"?t.getTransports():[]):(n.authenticatorData=_e(t.authenticatorData),n.signature=_e(t.signature),t.userHandle&&(n.userHandle=_e(t.userHandle))),{id:e.id,rawId:_e(e.rawId),type:e.type,authenticatorAttachment:e.authenticatorAttachment||void 0,clientExtensionResults:e.getClientExtensionResults(),response:n}}function Wt(e,t){let n=e&&e.name;return n==="NotAllowedError"||n==="AbortError"?new ee(t?"The security key prompt was cancelled or timed out. Nothing was added. Try again when your key is ready.":"The security key prompt was cancelled or timed out, or this key is not one of yours. Try again, or use another way.","KEY_CANCELLED"):n==="InvalidStateError"?new ee("This security key is already registered to your account. Use another key.","KEY_REGISTERED"):n==="SecurityError"?new ee("Security keys do not work at this page's address. Ask your administrator to check the server's WebAuthn settings.","KEY_ORIGIN"):n==="NotSupportedError"?new ee("This device or browser cannot create the kind of key asked for. Try another key.","KEY_UNSUPPORTED"):new ee(`The security key did not answer: ${e&&e.message||e}.`,"KEY_FAILED")}async function Ht(e){if(!Ue())throw new ee(Ut,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.create({publicKey:gn(Kt(e))})}catch(n){throw Wt(n,!0)}if(!t)throw new ee("The browser gave no credential. Try again.","KEY_FAILED");return qt(t)}async function bn(e){if(!Ue())throw new ee(Ut,"KEY_UNSUPPORTED");let t;try{t=await navigator.credentials.get({publicKey:$n(Kt(e))})}catch(n){throw Wt(n,!1)}if(!t)throw new ee("The browser gave no credential. Try again.","KEY_FAILED");return qt(t)}async function Me(){try{let e=(await K("securityKeyOptions")).securityKeyOptions;if(e.error)return{error:D(e.error)};let t=await bn(e.requestOptions),n=(await K("verifyLoginWithSecurityKey",{credential:t})).verifyLoginWithSecurityKey;return n.error?{error:D(n.error)}:{payload:n}}catch(e){return{error:D(e)}}}async function j(e,t,n){try{let r=n(await K(e,t));return r.error?{error:D(r.error)}:{payload:r}}catch(r){return{error:D(r)}}}var Z=e=>t=>t.myTwoFactor[e];function Yt({user:e,step:t,live:n,onSessionChanged:r}){let[s,o]=$(null),[c,u]=$(null),[l,i]=$(null),[f,a]=$(null),[p,y]=$(null),g=ne({}),w=ne(null),_=ne(null);L(()=>{let h=_.current&&_.current();h&&(_.current=null,h.focus())});function b(h){y(null),i(h)}function m(){let h=l;_.current=()=>g.current[h],i(null)}async function v(){try{o((await K("myTwoFactor")).myTwoFactor),u(null)}catch(h){h.code==="FORBIDDEN"||h.code==="UNAUTHENTICATED"?r():u(D(h))}}if(L(()=>{v()},[n]),L(()=>{if(t==="DONE")return et("changed",{},h=>o(h.myTwoFactorChanged),r)},[t,n]),s===null)return c?d`<section class="card"><${A} error=${c} />
          <button type="button" onClick=${v}>Try again</button></section>`:d`<p role="status">Loading…</p>`;function I(h){m(),y(h.message),h.recoveryCodes&&(_.current=null,a(h.recoveryCodes)),v(),t!=="DONE"&&r()}return d`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title">Your 2FA</h1>
    <${A} error=${c} />
    <p>
      ${s.enabled?"Two-factor authentication is on.":"Two-factor authentication is off."}
      ${s.mandatory?" Your administrators require it.":""}
    </p>
    ${s.setupRequired?d`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`:null}
    ${p?d`<p class="success" role="status">${p}</p>`:null}
    ${f?d`<${Dn} codes=${f}
          onDone=${()=>{_.current=()=>w.current,a(null)}} />`:null}

    <h2 tabindex="-1" ref=${w}>Authenticators</h2>
    ${s.authenticators.length?d`<ul class="authenticators" aria-label="Your authenticators">
          ${s.authenticators.map(h=>d`<${En} key=${h.id} authenticator=${h} all=${s.authenticators}
              onChanged=${v} onNotice=${y} />`)}
        </ul>`:d`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${l===null?d`<div class="row">
          ${s.availableMethods.includes("EMAIL")?d`<button type="button" ref=${h=>{g.current.EMAIL=h}} onClick=${()=>b("EMAIL")}>Email Authentication</button>`:null}
          ${s.availableMethods.includes("APP")?d`<button type="button" ref=${h=>{g.current.APP=h}} onClick=${()=>b("APP")}>Authenticator App</button>`:null}
          ${s.availableMethods.includes("SECURITY_KEY")?d`<button type="button" ref=${h=>{g.current.SECURITY_KEY=h}} onClick=${()=>b("SECURITY_KEY")}>Security Key or Passkey</button>`:null}
          ${s.availableMethods.length===0?d`<p class="muted">Your administrators have turned off every method.</p>`:null}
        </div>`:l==="EMAIL"?d`<${xn} user=${e} authenticators=${s.authenticators} onCreated=${I} onCancel=${m} />`:l==="APP"?d`<${In} authenticators=${s.authenticators} onCreated=${I} onCancel=${m} />`:d`<${Rn} authenticators=${s.authenticators} onCreated=${I} onCancel=${m} />`}

    ${s.enabled?d`<h2>Recovery codes</h2>
        <p>${s.recoveryCodesRemaining} unused recovery ${s.recoveryCodesRemaining===1?"code":"codes"} left.</p>
        <${On} authenticators=${s.authenticators} onCodes=${h=>{a(h),v()}} />`:null}
    ${t==="DONE"?d`<${wn} />`:null}
  </section>`}function wn(){let[e,t]=$(null),[n,r]=$(null),[s,o]=$(null);async function c(){try{t((await K("mySessions")).mySessions)}catch(i){r(D(i))}}L(()=>{c()},[]);async function u(i,f,a){let p=await j(i,f,a);if(p.error)r(p.error);else{r(null);let y=p.payload.endedIds.length;o(y===1?"The device was signed out.":`${y} devices were signed out.`),c()}}if(e===null)return d`<${A} error=${n} />`;let l=e.filter(i=>!i.current);return d`<h2>Where you are signed in</h2>
    ${s?d`<p class="success" role="status">${s}</p>`:null}
    <ul class="authenticators sessions" aria-label="Your sessions">
      ${e.map(i=>d`<li class="authenticator" key=${i.id}>
        <div class="details">
          <strong>${i.device}${i.current?d` <span class="badge">This device</span>`:null}</strong>
          <span class="muted">${i.ip||"Unknown address"} · Signed in ${re(i.createdAt)} · Last seen ${re(i.lastSeenAt)}</span>
          ${i.nextStep!=="DONE"?d`<span class="muted">Still signing in</span>`:null}
        </div>
        ${i.current?null:d`<div class="row actions">
          <button type="button" onClick=${()=>u("endSession",{id:i.id},f=>f.endSession)}
            aria-label=${`Sign out ${i.device}, signed in ${re(i.createdAt)}`}>Sign out</button>
        </div>`}
      </li>`)}
    </ul>
    <${A} error=${n} />
    ${l.length?d`<button type="button" onClick=${()=>u("endOtherSessions",{},i=>i.endOtherSessions)}>Sign out all other devices</button>`:null}`}var vn=e=>e.method==="SECURITY_KEY"&&!(e.securityKey&&e.securityKey.suspendedAt);function ae({authenticators:e,error:t,busy:n,onCode:r,onRetry:s,onCancel:o}){let c=e.find(_=>_.method==="EMAIL"),u=s&&e.some(vn),[l,i]=$(null),[f,a]=$(null),[p,y]=$(!1);async function g(){let _=await j("sendLoginCode",{id:c.id},b=>b.sendLoginCode);i(_.error?_.error:{message:"We emailed you a code."})}async function w(){y(!0),a(null);let _=await Me();y(!1),_.error?a(_.error):s()}return d`<form class="fresh" onSubmit=${_=>{_.preventDefault(),r(new FormData(_.currentTarget).get("fresh-code"))}}>
    <p>For your security, confirm it is you: ${u?"use your security key, or ":""}enter a current code from one of your authenticators, or a recovery code.</p>
    ${u?d`<div class="row"><button type="button" class="primary" onClick=${w} disabled=${p||n}>Use security key</button></div>
      <${A} error=${f} />`:null}
    ${c?d`<p><button type="button" onClick=${g}>Email me a code</button>
      ${l?d` <span role="status">${l.message}</span>`:null}</p>`:null}
    <${G} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${A} error=${t} />
    <div class="row">
      <button type="submit" class="primary" disabled=${n}>Confirm</button>
      <button type="button" onClick=${o}>Cancel</button>
    </div>
  </form>`}function ce(e){let[t,n]=$({needCode:!1,error:null,busy:!1});async function r(s){n({...t,busy:!0,error:null});let o=await e(s||null);return o.error&&o.error.code==="FRESH_CODE_REQUIRED"?(n({needCode:!0,error:s?o.error:null,busy:!1}),null):(n({needCode:t.needCode&&!!o.error,error:o.error||null,busy:!1}),o.error?null:o.payload)}return[t,r,()=>n({needCode:!1,error:null,busy:!1})]}function Sn(e){return e.synced?"Passkey, synced":"Security key, this device only"}function En({authenticator:e,all:t,onChanged:n,onNotice:r}){let[s,o]=$(!1),[c,u]=$(null),[l,i]=$(!1),[f,a,p]=ce(m=>j("remove",{id:e.id,code:m},Z("remove"))),y=`name-${e.id}`;async function g(m){m.preventDefault();let v=new FormData(m.currentTarget).get(y),I=await j("edit",{id:e.id,name:v},Z("edit"));I.error?u(I.error):(o(!1),u(null),r("The authenticator was renamed."),n())}async function w(m){await a(m)&&(r(`"${e.name}" was removed.`),n())}let _=e.securityKey,b=!!(_&&_.suspendedAt);return d`<li class=${b?"authenticator suspended":"authenticator"}>
    <div class="details">
      <strong>${e.name}${b?d` <span class="badge badge-danger">Suspended</span>`:null}</strong>
      <span class="muted">${_?Sn(_):Ne(e.method)}${e.email?` \xB7 ${e.email}`:""}</span>
      <span class="muted">Added ${re(e.createdAt)} · Last used ${re(e.lastUsedAt)}</span>
      ${b?d`<p class="error">Suspended ${re(_.suspendedAt)}: this key's signature counter went backwards, which a
            copied key would do, so it no longer signs you in. Remove it, and set up your key again (or another one).</p>`:null}
    </div>
    ${s?d`<form class="row" onSubmit=${g}>
          <${G} id=${y} label="New name" value=${e.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${()=>{o(!1),u(null)}}>Cancel</button>
          <${A} error=${c} />
        </form>`:l?f.needCode?d`<${ae} authenticators=${t} error=${f.error} busy=${f.busy}
              onCode=${w} onRetry=${()=>w(null)}
              onCancel=${()=>{i(!1),p()}} />`:d`<div class="row">
              <span>Remove "${e.name}"?</span>
              <button type="button" class="danger" onClick=${()=>w(null)} disabled=${f.busy}>Yes, remove</button>
              <button type="button" onClick=${()=>{i(!1),p()}}>Cancel</button>
              <${A} error=${f.error} />
            </div>`:d`<div class="row actions">
            <button type="button" onClick=${()=>o(!0)} aria-label=${`Edit ${e.name}`}>Edit</button>
            <button type="button" onClick=${()=>i(!0)} aria-label=${`Remove ${e.name}`}>Remove</button>
          </div>`}
  </li>`}var Cn={PENDING:"Sending the code\u2026",CODE_SENT:"We emailed you a code. It is valid for 10 minutes.",DELIVERY_FAILED:"We could not deliver the code. Send it again.",VERIFIED:"Verified.",EXPIRED:"The code expired. Start again.",LOCKED:"Too many wrong codes. Start again.",CANCELLED:"This set-up was cancelled."},Bt=new Set(["EXPIRED","LOCKED","CANCELLED"]),kn={EXPIRED:"This set-up expired before it was finished: its QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",LOCKED:"Too many wrong codes: this QR code and setup key no longer work. If you scanned it, remove that entry from your app, then start again.",CANCELLED:"This set-up was cancelled."},Tn={CODE_EXPIRED:"EXPIRED",TOO_MANY_ATTEMPTS:"LOCKED"};function Gt(e){let[t,n]=$(e);return L(()=>{if(e)return n(e),et("verification",{setupId:e.id},r=>n(r.myTwoFactorVerification))},[e&&e.id]),[t,n]}function xn({user:e,authenticators:t,onCreated:n,onCancel:r}){let[s,o]=$(""),[c,u]=$(null),[l,i]=Gt(c),[f,a]=$(null),[p,y]=$(!1),[g,w]=ce(h=>j("setUpEmail",{name:s,code:h},Z("setUpEmail"))),_=we(l&&l.resendAvailableAt?new Date(l.resendAvailableAt):null);async function b(h){h.preventDefault();let T=await w(null);T&&u(T.setup)}async function m(){let h=await j("resendCode",{setupId:l.id},Z("resendCode"));h.error?a(h.error):(a(null),i(h.payload.setup))}async function v(h){h.preventDefault(),y(!0);let T=new FormData(h.currentTarget).get("email-code"),O=await j("submitCode",{setupId:l.id,code:T},Z("submitCode"));y(!1),O.error?a(O.error):n(O.payload)}let I=Se();return d`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title" tabindex="-1" ref=${I}>Email Authentication</h3>
    ${l?d`<${An} setup=${l} error=${f} busy=${p} resendIn=${_}
        onSubmit=${v} onResend=${m} onCancel=${r} />`:g.needCode?d`<${ae} authenticators=${t} error=${g.error} busy=${g.busy}
            onCode=${async h=>{let T=await w(h);T&&u(T.setup)}}
            onRetry=${async()=>{let h=await w(null);h&&u(h.setup)}} onCancel=${r} />`:d`<form onSubmit=${b}>
            <${G} id="email-name" label="Name" value=${s} onInput=${h=>o(h.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${G} id="email-address" label="Email" value=${e.email} readonly
              hint="Codes go to the address you sign in with." />
            <${A} error=${g.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${g.busy}>Send code</button>
              <button type="button" onClick=${r}>Cancel</button>
            </div>
          </form>`}
  </div>`}function An({setup:e,error:t,busy:n,resendIn:r,onSubmit:s,onResend:o,onCancel:c}){let u=Bt.has(e.status);return L(()=>{let l=document.getElementById("email-code");l&&l.focus()},[]),d`
    <p role="status" aria-live="polite" class=${`status status-${e.status.toLowerCase()}`} data-status=${e.status}>
      ${Cn[e.status]||e.status}
    </p>
    ${u?d`<button type="button" onClick=${c}>Close</button>`:d`<form onSubmit=${s}>
          <${G} id="email-code" label="Code from the email" ...${ve} />
          <${A} error=${t} />
          <div class="row">
            <button type="submit" class="primary" disabled=${n}>Submit Code and Create</button>
            <button type="button" onClick=${o} disabled=${r>0}>
              ${r>0?`Resend code (${r} s)`:"Resend code"}
            </button>
            <button type="button" onClick=${async()=>{await j("cancelSetup",{setupId:e.id},Z("cancelSetup")),c()}}>Cancel</button>
          </div>
        </form>`}`}function In({authenticators:e,onCreated:t,onCancel:n}){let[r,s]=$(null),[o]=Gt(r),[c,u]=$(null),[l,i]=$(null),[f,a]=$(!1),[p,y]=ce(O=>j("setUpApp",{code:O},Z("setUpApp"))),g=Se(),w=ne(null);function _(){y(null).then(O=>O&&s(O.setup))}L(_,[]);let m=(o&&r&&o.id===r.id&&Bt.has(o.status)?o.status:null)||c&&Tn[c.code]||null;L(()=>{m&&w.current&&document.activeElement===document.body&&w.current.focus()},[m]);function v(){s(null),u(null),i(null),g.current&&g.current.focus(),_()}async function I(){i(await Vt(r.app.setupKey.replace(/\s+/g,"")))}async function h(O){O.preventDefault();let q=new FormData(O.currentTarget);a(!0);let S=await j("submitCode",{setupId:r.id,code:q.get("app-code"),name:q.get("app-name")},Z("submitCode"));a(!1),S.error?u(S.error):t(S.payload)}let T;return p.needCode?T=d`<${ae} authenticators=${e} error=${p.error} busy=${p.busy}
      onCode=${async O=>{let q=await y(O);q&&s(q.setup)}}
      onRetry=${async()=>{let O=await y(null);O&&s(O.setup)}} onCancel=${n} />`:r?m?T=d`<p role="status" class="status status-expired">${kn[m]}</p>
      <div class="row">
        ${m==="CANCELLED"?null:d`<button type="button" class="primary" ref=${w} onClick=${v}>Start again</button>`}
        <button type="button" onClick=${n}>Close</button>
      </div>`:T=d`<ol class="steps">
        <li>Scan the QR code with your authenticator app.
          <img class="qr" src=${r.app.qrCodePng} width="200" height="200"
            alt="QR code to scan with your authenticator app" /></li>
        <li>Or type the setup key:
          <code class="setup-key" data-testid="setup-key">${r.app.setupKey}</code>
          <button type="button" onClick=${I}>${l?"Copied":"Copy key"}</button>
          <span role="status" class="hint">${l===!1?"This browser could not copy it: type the setup key into your app, or select it and copy it.":""}</span></li>
        <li>Name it and enter the ${r.app.digits}-digit code the app shows.</li>
      </ol>
      <form onSubmit=${h}>
        <${G} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
        <${G} id="app-code" label="Code from your app" ...${ve} />
        <${A} error=${c} />
        <div class="row">
          <button type="submit" class="primary" disabled=${f}>Submit Code and Create</button>
          <button type="button" onClick=${async()=>{await j("cancelSetup",{setupId:r.id},Z("cancelSetup")),n()}}>Cancel</button>
        </div>
      </form>`:T=p.error?d`<${A} error=${p.error} /><button type="button" onClick=${n}>Close</button>`:d`<p role="status">Preparing…</p>`,d`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title" tabindex="-1" ref=${g}>Authenticator App</h3>
    ${T}
  </div>`}function Rn({authenticators:e,onCreated:t,onCancel:n}){let[r,s]=$(""),[o,c]=$(null),[u,l]=$(!1),[i,f]=ce(w=>j("setUpSecurityKey",{name:r,code:w},Z("setUpSecurityKey"))),a=Ue();async function p(w){if(!w)return;let _=w.setup;l(!0);let b;try{b=await Ht(_.securityKey.creationOptions)}catch(v){l(!1),c(D(v)),await j("cancelSetup",{setupId:_.id},Z("cancelSetup"));return}let m=await j("submitSecurityKey",{setupId:_.id,credential:b,name:r},Z("submitSecurityKey"));l(!1),m.error?c(m.error):t(m.payload)}async function y(w){w.preventDefault(),c(null),await p(await f(null))}let g=Se();return d`<div class="setup" aria-labelledby="key-setup-title">
    <h3 id="key-setup-title" tabindex="-1" ref=${g}>Security key or passkey</h3>
    ${i.needCode?d`<${ae} authenticators=${e} error=${i.error} busy=${i.busy}
          onCode=${async w=>p(await f(w))} onRetry=${async()=>p(await f(null))} onCancel=${n} />`:d`<p>A security key (such as a YubiKey) or a passkey on this device or your phone signs you in with a touch
          or your fingerprint, face or screen lock. It works only on this site, so a look-alike page cannot use it.</p>
        ${a?null:d`<p class="error" role="alert">This browser cannot use security keys or passkeys. Use a current Chrome, Edge,
              Firefox or Safari, or another method.</p>`}
        <form onSubmit=${y}>
          <${G} id="key-name" label="Name" value=${r} onInput=${w=>s(w.currentTarget.value)}
            maxlength="64" required hint="For example: YubiKey or This laptop" />
          ${u?d`<p role="status" class="status">Touch your security key, or confirm on your device…</p>`:null}
          <${A} error=${o||i.error} />
          <div class="row">
            <button type="submit" class="primary" disabled=${!a||i.busy||u}>Add security key</button>
            <button type="button" onClick=${n}>Cancel</button>
          </div>
        </form>`}
  </div>`}async function Vt(e){try{return await navigator.clipboard.writeText(e),!0}catch{return!1}}function Dn({codes:e,onDone:t}){let[n,r]=$(null),s=e.join(`
`)+`
`,o=URL.createObjectURL(new Blob([s],{type:"text/plain"}));L(()=>()=>URL.revokeObjectURL(o),[o]);let c=Se();return d`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title" tabindex="-1" ref=${c}>Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${e.map(u=>d`<li><code>${u}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async()=>r(await Vt(s))}>
        ${n?"Copied":"Copy codes"}
      </button>
      <a class="button" href=${o} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${t}>I saved them</button>
    </div>
    <p role="status" class="hint">${n===!1?"This browser could not copy them: use Download codes, or select them and copy them.":""}</p>
  </div>`}function On({authenticators:e,onCodes:t}){let[n,r]=$(!1),[s,o,c]=ce(l=>j("regenerate",l?{code:l}:{},Z("regenerateRecoveryCodes")));async function u(l){let i=await o(l);i&&(r(!1),c(),t(i.recoveryCodes))}return s.needCode?d`<${ae} authenticators=${e} error=${s.error} busy=${s.busy}
      onCode=${u} onRetry=${()=>u(null)} onCancel=${()=>{r(!1),c()}} />`:n?d`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${()=>u(null)} disabled=${s.busy}>Regenerate</button>
    <button type="button" onClick=${()=>r(!1)}>Cancel</button>
    <${A} error=${s.error} />
  </div>`:d`<button type="button" onClick=${()=>r(!0)}>Regenerate recovery codes</button>`}function jt(){let[e,t]=$(0),n=()=>t(r=>r+1);return d`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${Pn} onChanged=${n} />
    <${Ln} onChanged=${n} />
    <${Nn} changes=${e} />
  </section>`}function Pn({onChanged:e}){let[t,n]=$(null),[r,s]=$(null),[o,c]=$(!1);L(()=>{K("policy").then(i=>n(i.twoFactorPolicy),i=>s(D(i)))},[]);let u=t?[...Object.keys(Le),...t.enabledMethods.filter(i=>!(i in Le))]:[];async function l(i){i.preventDefault();let f=new FormData(i.currentTarget),a={mandatory:f.get("mandatory")==="on",enabledMethods:u.filter(p=>f.get(`method-${p}`)==="on"),recoveryCodesEnabled:f.get("recovery")==="on"};c(!1);try{let p=(await K("setPolicy",{input:a})).admin.setTwoFactorPolicy;p.error?s(D(p.error)):(n(p.policy),s(null),c(!0),e())}catch(p){s(D(p))}}return t===null?d`<${A} error=${r} />`:d`<form onSubmit=${l} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${t.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      ${u.map(i=>d`<label class="choice" key=${i}><input type="checkbox" name=${`method-${i}`}
          checked=${t.enabledMethods.includes(i)} /> ${Ne(i)}</label>`)}
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${t.recoveryCodesEnabled} /> Recovery codes</label>
    <${A} error=${r} />
    ${o?d`<p class="success" role="status">The policy was saved.</p>`:null}
    <button type="submit" class="primary">Save policy</button>
  </form>`}function Ln({onChanged:e}){let[t,n]=$(null),[r,s]=$(null),[o,c]=$(null),[u,l]=$([]),[i,f,a]=ce(async g=>{try{let w=(await K("resetUser",{userId:t.id,code:g})).admin.resetUserTwoFactor;return w.error?{error:D(w.error)}:{payload:w}}catch(w){return{error:D(w)}}});async function p(g){g.preventDefault(),c(null),s(null);let w=new FormData(g.currentTarget).get("reset-email");try{let _=(await K("userByEmail",{email:w})).admin.user;n(_),_||s({message:"No user has that email address."})}catch(_){s(D(_))}}L(()=>{i.needCode&&K("myTwoFactor").then(g=>l(g.myTwoFactor.authenticators),()=>l([]))},[i.needCode]);async function y(g){await f(g)&&(c(`The two-factor authentication of ${t.email} was reset. They can sign in with their password and set it up again.`),n(null),a(),e())}return d`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${p}>
      <${G} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${t?i.needCode?d`<${ae} authenticators=${u} error=${i.error} busy=${i.busy}
            onCode=${y} onRetry=${()=>y(null)} onCancel=${()=>{n(null),a()}} />`:d`<div class="row"><span>${t.name} (${t.email})</span>
            <button type="button" class="danger" onClick=${()=>y(null)} disabled=${i.busy}>Reset 2FA</button></div>
            <${A} error=${i.error} />`:null}
    <${A} error=${r} />
    ${o?d`<p class="success" role="status">${o}</p>`:null}
  </div>`}function Nn({changes:e}){let[t,n]=$([null]),[r,s]=$(null),[o,c]=$(null),u=t[t.length-1];return L(()=>{K("auditEvents",{after:u}).then(l=>s(l.admin.auditEvents),l=>c(D(l)))},[u,e]),d`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${A} error=${o} />
    ${r?d`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${r.events.map(l=>d`<tr>
            <td>${re(l.createdAt)}</td><td>${l.action}</td><td>${l.actorId||""}</td><td>${l.targetId||""}</td><td>${l.ip||""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${t.length===1} onClick=${()=>n(t.slice(0,-1))}>Newer</button>
          <button type="button" disabled=${!r.nextCursor} onClick=${()=>n([...t,r.nextCursor])}>Older</button>
        </div>`:null}
  </div>`}function Jt({notice:e,onSignedIn:t}){let[n,r]=$(null),[s,o]=$(!1),c=ne(null);L(()=>c.current&&c.current.elements.email.focus(),[]);async function u(l){l.preventDefault();let i=new FormData(l.currentTarget);o(!0),r(null);try{let{login:f}=await K("login",{email:i.get("email"),password:i.get("password")});f.error?r(D(f.error)):t(f)}catch(f){r(D(f))}finally{o(!1)}}return d`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${e?d`<p class="notice" role="status">${e}</p>`:null}
    <form onSubmit=${u} ref=${c}>
      <${G} id="email" label="Email" type="email" autocomplete="username" required />
      <${G} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${A} error=${n} />
      <button type="submit" class="primary" disabled=${s}>Sign in</button>
    </form>
  </section>`}function Fn(e){return e==="EMAIL"?"Code from the email":e==="APP"?"Code from your app":"Code"}function Qt({authenticators:e,notice:t,onPassed:n,onEnded:r}){let s=e.filter(S=>S.method==="SECURITY_KEY"),o=e.filter(S=>S.method!=="SECURITY_KEY"),[c,u]=$(o.length?o[0].id:null),[l,i]=$(e.length===0),[f,a]=$(null),[p,y]=$(null),[g,w]=$(null),[_,b]=$(!1),m=o.find(S=>S.id===c),v=we(g&&g.resendAt);async function I(S,V,W){b(!0),a(null);try{let H=(await K(S,V))[W];return H.error?(a(D(H.error)),H.error.code==="TOO_MANY_ATTEMPTS"&&r("Too many wrong codes. Sign in again."),null):H}catch(H){return a(D(H)),H.code==="UNAUTHENTICATED"&&r("Your sign-in expired. Sign in again."),null}finally{b(!1)}}async function h(){let S=await I("sendLoginCode",{id:c},"sendLoginCode");if(S){let V=S.resendAvailableAt?new Date(S.resendAvailableAt):null;w({id:c,resendAt:V,wait:V?Math.max(0,Math.ceil((V-Date.now())/1e3)):0})}}async function T(S){S.preventDefault();let V=new FormData(S.currentTarget).get("code"),W=l?await I("verifyRecoveryCode",{code:V},"verifyLoginWithRecoveryCode"):await I("verifyLogin",{id:c,code:V},"verifyLogin");W&&n(W.session)}async function O(){b(!0),a(null),y(null);let S=await Me();b(!1),S.payload?n(S.payload.session):S.error.code==="UNAUTHENTICATED"?r("Your sign-in expired. Sign in again."):S.error.code==="TOO_MANY_ATTEMPTS"?r("Too many failed tries. Sign in again."):y(S.error)}let q=d`<form onSubmit=${T}>
    ${l?d`<${G} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`:d`<${G} id="code" label=${Fn(m&&m.method)} ...${ve} />`}
    <${A} error=${f} />
    <button type="submit" class=${l||!s.length?"primary":void 0} disabled=${_}>Verify</button>
  </form>`;return d`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${t?d`<p class="notice" role="status">${t}</p>`:null}
    ${l?d`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>${q}`:d`${s.length?d`<div class="key-choice">
              <p>Use your security key, or the passkey on this device or your phone.</p>
              <button type="button" class="primary" onClick=${O} disabled=${_}>Use security key</button>
              <${A} error=${p} />
            </div>`:null}
        ${o.length?d`<fieldset>
              <legend>${s.length?"Or verify with a code from":"Verify with"}</legend>
              ${o.map(S=>d`<label class="choice">
                  <input type="radio" name="authenticator" value=${S.id} checked=${S.id===c}
                    onChange=${()=>{u(S.id),a(null)}} />
                  ${S.name}
                </label>`)}
            </fieldset>
            ${m&&m.method==="EMAIL"?d`<div class="row">
                  <button type="button" onClick=${h} disabled=${_||v>0}>
                    ${g&&g.id===c?"Send a new code":"Send code"}
                  </button>
                  <span role="status" class="muted">
                    ${g&&g.id===c?"We emailed you a code.":""}
                    ${g&&g.id===c&&g.wait?d`<span class="visually-hidden"> You can ask for another in ${g.wait} seconds.</span>`:""}
                  </span>
                  ${v>0?d`<span class="muted" aria-hidden="true">You can ask for another in ${v} s.</span>`:null}
                </div>`:null}
            ${q}`:null}`}
    ${e.length?d`<button type="button" class="link" onClick=${()=>{i(!l),a(null),y(null)}}>
          ${l?"Use an authenticator instead":"Use a recovery code"}
        </button>`:null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`}var Un=15e3;function Mn(){let[e,t]=$(window.location.hash);return L(()=>{let n=()=>t(window.location.hash);return window.addEventListener("hashchange",n),()=>window.removeEventListener("hashchange",n)},[]),e}function Kn(){let[e,t]=$({phase:"loading"}),n=Mn();async function r(i={}){try{let{session:f}=await K("session");f?f.nextStep==="TWO_FACTOR_CHALLENGE"?t({phase:"challenge",authenticators:f.authenticators||[],notice:i.challenge}):t(a=>a.phase==="signed-in"&&a.step===f.nextStep?{...a,offline:null,live:(a.live||0)+1}:{phase:"signed-in",user:f.user,step:f.nextStep,live:0}):t({phase:"signed-out",notice:i.ended})}catch(f){t(a=>a.phase==="signed-in"||a.phase==="challenge"?{...a,offline:D(f)}:{phase:"signed-out",error:D(f)})}}L(()=>{r()},[]);function s(){tt(),r({ended:"Your session ended. Sign in again.",challenge:"Two-factor authentication was turned on for your account. Verify it is you to go on."})}L(()=>{if(!e.offline)return;let i=setTimeout(s,Un);return()=>clearTimeout(i)},[e.offline]);function o(i){let f=i.session.nextStep;t(f==="TWO_FACTOR_CHALLENGE"?{phase:"challenge",authenticators:i.authenticators||[]}:{phase:"signed-in",user:i.session.user,step:f})}async function c(){try{await K("logout")}finally{tt(),t({phase:"signed-out",notice:"You are signed out."})}}L(()=>{let i={"signed-out":"Sign in",challenge:"Two-factor authentication"};document.title=`${i[e.phase]||(n==="#/admin"?"Administration":"Your 2FA")} \xB7 twofactor`},[e.phase,n]);let u;e.phase==="loading"?u=d`<p role="status">Loading…</p>`:e.phase==="signed-out"?u=d`${e.error?d`<${A} error=${e.error} />`:null}
      <${Jt} notice=${e.notice} onSignedIn=${o} />`:e.phase==="challenge"?u=d`<${Qt} authenticators=${e.authenticators} notice=${e.notice}
      onPassed=${i=>t({phase:"signed-in",user:i.user,step:i.nextStep})}
      onEnded=${i=>t({phase:"signed-out",notice:i})} />`:n==="#/admin"&&e.user.isAdmin&&e.step==="DONE"?u=d`<${jt} />`:u=d`<${Yt} user=${e.user} step=${e.step} live=${e.live}
      onSessionChanged=${s} />`,e.offline&&(u=d`<div class="offline" role="alert">
        <p>${e.offline.message} What is on this page stays here until the server is back.</p>
        <button type="button" onClick=${s}>Try again</button>
      </div>
      ${u}`);let l=e.phase==="signed-in"?e.user:null;return d`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${l?d`<nav aria-label="Main">
            <a href="#/" aria-current=${n!=="#/admin"?"page":void 0}>Your 2FA</a>
            ${l.isAdmin&&e.step==="DONE"?d`<a href="#/admin" aria-current=${n==="#/admin"?"page":void 0}>Administration</a>`:null}
            <span class="muted who">${l.email}</span>
            <button type="button" onClick=${c}>Sign out</button>
          </nav>`:null}
    </header>
    <main id="main">${u}</main>`}gt(d`<${Kn} />`,document.getElementById("app"));
