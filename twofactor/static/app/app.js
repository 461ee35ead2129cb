var Ut=Object.defineProperty;var qt=(e,t,n)=>t in e?Ut(e,t,{enumerable:!0,configurable:!0,writable:!0,value:n}):e[t]=n;var ie=(e,t,n)=>qt(e,typeof t!="symbol"?t+"":t,n);var Ee,T,Xe,Ht,ne,ze,Ze,et,tt,De,Ie,Re,Wt,_e={},nt=[],Bt=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,Ae=Array.isArray;function Z(e,t){for(var n in t)e[n]=t[n];return e}function Le(e){e&&e.parentNode&&e.parentNode.removeChild(e)}function Ne(e,t,n){var o,s,r,c={};for(r in t)r=="key"?o=t[r]:r=="ref"?s=t[r]:c[r]=t[r];if(arguments.length>2&&(c.children=arguments.length>3?Ee.call(arguments,2):n),typeof e=="function"&&e.defaultProps!=null)for(r in e.defaultProps)c[r]===void 0&&(c[r]=e.defaultProps[r]);return ve(e,c,o,s,null)}function ve(e,t,n,o,s){var r={type:e,props:t,key:n,ref:o,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:s??++Xe,__i:-1,__u:0};return s==null&&T.vnode!=null&&T.vnode(r),r}function xe(e){return e.children}function Se(e,t){this.props=e,this.context=t}function ae(e,t){if(t==null)return e.__?ae(e.__,e.__i+1):null;for(var n;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null)return n.__e;return typeof e.type=="function"?ae(e):null}function ot(e){var t,n;if((e=e.__)!=null&&e.__c!=null){for(e.__e=e.__c.base=null,t=0;t<e.__k.length;t++)if((n=e.__k[t])!=null&&n.__e!=null){e.__e=e.__c.base=n.__e;break}return ot(e)}}function Qe(e){(!e.__d&&(e.__d=!0)&&ne.push(e)&&!Ce.__r++||ze!=T.debounceRendering)&&((ze=T.debounceRendering)||Ze)(Ce)}function Ce(){for(var e,t,n,o,s,r,c,u=1;ne.length;)ne.length>u&&ne.sort(et),e=ne.shift(),u=ne.length,e.__d&&(n=void 0,o=void 0,s=(o=(t=e).__v).__e,r=[],c=[],t.__P&&((n=Z({},o)).__v=o.__v+1,T.vnode&&T.vnode(n),Fe(t.__P,n,o,t.__n,t.__P.namespaceURI,32&o.__u?[s]:null,r,s??ae(o),!!(32&o.__u),c),n.__v=o.__v,n.__.__k[n.__i]=n,it(r,n,c),o.__e=o.__=null,n.__e!=s&&ot(n)));Ce.__r=0}function rt(e,t,n,o,s,r,c,u,l,i,d){var a,p,f,b,$,v,m,g=o&&o.__k||nt,h=t.length;for(l=jt(n,t,g,l,h),a=0;a<h;a++)(f=n.__k[a])!=null&&(p=f.__i==-1?_e:g[f.__i]||_e,f.__i=a,v=Fe(e,f,p,s,r,c,u,l,i,d),b=f.__e,f.ref&&p.ref!=f.ref&&(p.ref&&Oe(p.ref,null,f),d.push(f.ref,f.__c||b,f)),$==null&&b!=null&&($=b),(m=!!(4&f.__u))||p.__k===f.__k?l=st(f,l,e,m):typeof f.type=="function"&&v!==void 0?l=v:b&&(l=b.nextSibling),f.__u&=-7);return n.__e=$,l}function jt(e,t,n,o,s){var r,c,u,l,i,d=n.length,a=d,p=0;for(e.__k=new Array(s),r=0;r<s;r++)(c=t[r])!=null&&typeof c!="boolean"&&typeof c!="function"?(l=r+p,(c=e.__k[r]=typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?ve(null,c,null,null,null):Ae(c)?ve(xe,{children:c},null,null,null):c.constructor==null&&c.__b>0?ve(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):c).__=e,c.__b=e.__b+1,u=null,(i=c.__i=Gt(c,n,l,a))!=-1&&(a--,(u=n[i])&&(u.__u|=2)),u==null||u.__v==null?(i==-1&&(s>d?p--:s<d&&p++),typeof c.type!="function"&&(c.__u|=4)):i!=l&&(i==l-1?p--:i==l+1?p++:(i>l?p--:p++,c.__u|=4))):e.__k[r]=null;if(a)for(r=0;r<d;r++)(u=n[r])!=null&&(2&u.__u)==0&&(u.__e==o&&(o=ae(u)),ct(u,u));return o}function st(e,t,n,o){var s,r;if(typeof e.type=="function"){for(s=e.__k,r=0;s&&r<s.length;r++)s[r]&&(s[r].__=e,t=st(s[r],t,n,o));return t}e.__e!=t&&(o&&(t&&e.type&&!t.parentNode&&(t=ae(e)),n.insertBefore(e.__e,t||null)),t=e.__e);do t=t&&t.nextSibling;while(t!=null&&t.nodeType==8);return t}function Gt(e,t,n,o){var s,r,c,u=e.key,l=e.type,i=t[n],d=i!=null&&(2&i.__u)==0;if(i===null&&e.key==null||d&&u==i.key&&l==i.type)return n;if(o>(d?1:0)){for(s=n-1,r=n+1;s>=0||r<t.length;)if((i=t[c=s>=0?s--:r++])!=null&&(2&i.__u)==0&&u==i.key&&l==i.type)return c}return-1}function Ke(e,t,n){t[0]=="-"?e.setProperty(t,n??""):e[t]=n==null?"":typeof n!="number"||Bt.test(t)?n:n+"px"}function we(e,t,n,o,s){var r,c;e:if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof o=="string"&&(e.style.cssText=o=""),o)for(t in o)n&&t in n||Ke(e.style,t,"");if(n)for(t in n)o&&n[t]==o[t]||Ke(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")r=t!=(t=t.replace(tt,"$1")),c=t.toLowerCase(),t=c in e||t=="onFocusOut"||t=="onFocusIn"?c.slice(2):t.slice(2),e.l||(e.l={}),e.l[t+r]=n,n?o?n.u=o.u:(n.u=De,e.addEventListener(t,r?Re:Ie,r)):e.removeEventListener(t,r?Re:Ie,r);else{if(s=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{e[t]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n))}}function Je(e){return function(t){if(this.l){var n=this.l[t.type+e];if(t.t==null)t.t=De++;else if(t.t<n.u)return;return n(T.event?T.event(t):t)}}}function Fe(e,t,n,o,s,r,c,u,l,i){var d,a,p,f,b,$,v,m,g,h,N,C,A,J,z,Q,oe,j=t.type;if(t.constructor!=null)return null;128&n.__u&&(l=!!(32&n.__u),r=[u=t.__e=n.__e]),(d=T.__b)&&d(t);e:if(typeof j=="function")try{if(m=t.props,g="prototype"in j&&j.prototype.render,h=(d=j.contextType)&&o[d.__c],N=d?h?h.props.value:d.__:o,n.__c?v=(a=t.__c=n.__c).__=a.__E:(g?t.__c=a=new j(m,N):(t.__c=a=new Se(m,N),a.constructor=j,a.render=Yt),h&&h.sub(a),a.props=m,a.state||(a.state={}),a.context=N,a.__n=o,p=a.__d=!0,a.__h=[],a._sb=[]),g&&a.__s==null&&(a.__s=a.state),g&&j.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=Z({},a.__s)),Z(a.__s,j.getDerivedStateFromProps(m,a.__s))),f=a.props,b=a.state,a.__v=t,p)g&&j.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),g&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(g&&j.getDerivedStateFromProps==null&&m!==f&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps(m,N),!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate(m,a.__s,N)===!1||t.__v==n.__v){for(t.__v!=n.__v&&(a.props=m,a.state=a.__s,a.__d=!1),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(X){X&&(X.__=t)}),C=0;C<a._sb.length;C++)a.__h.push(a._sb[C]);a._sb=[],a.__h.length&&c.push(a);break e}a.componentWillUpdate!=null&&a.componentWillUpdate(m,a.__s,N),g&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(f,b,$)})}if(a.context=N,a.props=m,a.__P=e,a.__e=!1,A=T.__r,J=0,g){for(a.state=a.__s,a.__d=!1,A&&A(t),d=a.render(a.props,a.state,a.context),z=0;z<a._sb.length;z++)a.__h.push(a._sb[z]);a._sb=[]}else do a.__d=!1,A&&A(t),d=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++J<25);a.state=a.__s,a.getChildContext!=null&&(o=Z(Z({},o),a.getChildContext())),g&&!p&&a.getSnapshotBeforeUpdate!=null&&($=a.getSnapshotBeforeUpdate(f,b)),Q=d,d!=null&&d.type===xe&&d.key==null&&(Q=at(d.props.children)),u=rt(e,Ae(Q)?Q:[Q],t,n,o,s,r,c,u,l,i),a.base=t.__e,t.__u&=-161,a.__h.length&&c.push(a),v&&(a.__E=a.__=null)}catch(X){if(t.__v=null,l||r!=null)if(X.then){for(t.__u|=l?160:128;u&&u.nodeType==8&&u.nextSibling;)u=u.nextSibling;r[r.indexOf(u)]=null,t.__e=u}else{for(oe=r.length;oe--;)Le(r[oe]);Pe(t)}else t.__e=n.__e,t.__k=n.__k,X.then||Pe(t);T.__e(X,t,n)}else r==null&&t.__v==n.__v?(t.__k=n.__k,t.__e=n.__e):u=t.__e=Vt(n.__e,t,n,o,s,r,c,l,i);return(d=T.diffed)&&d(t),128&t.__u?void 0:u}function Pe(e){e&&e.__c&&(e.__c.__e=!0),e&&e.__k&&e.__k.forEach(Pe)}function it(e,t,n){for(var o=0;o<n.length;o++)Oe(n[o],n[++o],n[++o]);T.__c&&T.__c(t,e),e.some(function(s){try{e=s.__h,s.__h=[],e.some(function(r){r.call(s)})}catch(r){T.__e(r,s.__v)}})}function at(e){return typeof e!="object"||e==null||e.__b&&e.__b>0?e:Ae(e)?e.map(at):Z({},e)}function Vt(e,t,n,o,s,r,c,u,l){var i,d,a,p,f,b,$,v=n.props,m=t.props,g=t.type;if(g=="svg"?s="http://www.w3.org/2000/svg":g=="math"?s="http://www.w3.org/1998/Math/MathML":s||(s="http://www.w3.org/1999/xhtml"),r!=null){for(i=0;i<r.length;i++)if((f=r[i])&&"setAttribute"in f==!!g&&(g?f.localName==g:f.nodeType==3)){e=f,r[i]=null;break}}if(e==null){if(g==null)return document.createTextNode(m);e=document.createElementNS(s,g,m.is&&m),u&&(T.__m&&T.__m(t,r),u=!1),r=null}if(g==null)v===m||u&&e.data==m||(e.data=m);else{if(r=r&&Ee.call(e.childNodes),v=n.props||_e,!u&&r!=null)for(v={},i=0;i<e.attributes.length;i++)v[(f=e.attributes[i]).name]=f.value;for(i in v)if(f=v[i],i!="children"){if(i=="dangerouslySetInnerHTML")a=f;else if(!(i in m)){if(i=="value"&&"defaultValue"in m||i=="checked"&&"defaultChecked"in m)continue;we(e,i,null,f,s)}}for(i in m)f=m[i],i=="children"?p=f:i=="dangerouslySetInnerHTML"?d=f:i=="value"?b=f:i=="checked"?$=f:u&&typeof f!="function"||v[i]===f||we(e,i,f,v[i],s);if(d)u||a&&(d.__html==a.__html||d.__html==e.innerHTML)||(e.innerHTML=d.__html),t.__k=[];else if(a&&(e.innerHTML=""),rt(t.type=="template"?e.content:e,Ae(p)?p:[p],t,n,o,g=="foreignObject"?"http://www.w3.org/1999/xhtml":s,r,c,r?r[0]:n.__k&&ae(n,0),u,l),r!=null)for(i=r.length;i--;)Le(r[i]);u||(i="value",g=="progress"&&b==null?e.removeAttribute("value"):b!=null&&(b!==e[i]||g=="progress"&&!b||g=="option"&&b!=v[i])&&we(e,i,b,v[i],s),i="checked",$!=null&&$!=e[i]&&we(e,i,$,v[i],s))}return e}function Oe(e,t,n){try{if(typeof e=="function"){var o=typeof e.__u=="function";o&&e.__u(),o&&t==null||(e.__u=e(t))}else e.current=t}catch(s){T.__e(s,n)}}function ct(e,t,n){var o,s;if(T.unmount&&T.unmount(e),(o=e.ref)&&(o.current&&o.current!=e.__e||Oe(o,null,t)),(o=e.__c)!=null){if(o.componentWillUnmount)try{o.componentWillUnmount()}catch(r){T.__e(r,t)}o.base=o.__P=null}if(o=e.__k)for(s=0;s<o.length;s++)o[s]&&ct(o[s],t,n||typeof e.type!="function");n||Le(e.__e),e.__c=e.__=e.__e=void 0}function Yt(e,t,n){return this.constructor(e,n)}function lt(e,t,n){var o,s,r,c;t==document&&(t=document.documentElement),T.__&&T.__(e,t),s=(o=typeof n=="function")?null:n&&n.__k||t.__k,r=[],c=[],Fe(t,e=(!o&&n||t).__k=Ne(xe,null,[e]),s||_e,_e,t.namespaceURI,!o&&n?[n]:s?null:t.firstChild?Ee.call(t.childNodes):null,r,!o&&n?n:s?s.__e:t.firstChild,o,c),it(r,e,c)}Ee=nt.slice,T={__e:function(e,t,n,o){for(var s,r,c;t=t.__;)if((s=t.__c)&&!s.__)try{if((r=s.constructor)&&r.getDerivedStateFromError!=null&&(s.setState(r.getDerivedStateFromError(e)),c=s.__d),s.componentDidCatch!=null&&(s.componentDidCatch(e,o||{}),c=s.__d),c)return s.__E=s}catch(u){e=u}throw e}},Xe=0,Ht=function(e){return e!=null&&e.constructor==null},Se.prototype.setState=function(e,t){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=Z({},this.state),typeof e=="function"&&(e=e(Z({},n),this.props)),e&&Z(n,e),e!=null&&this.__v&&(t&&this._sb.push(t),Qe(this))},Se.prototype.forceUpdate=function(e){this.__v&&(this.__e=!0,e&&this.__h.push(e),Qe(this))},Se.prototype.render=xe,ne=[],Ze=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,et=function(e,t){return e.__v.__b-t.__v.__b},Ce.__r=0,tt=/(PointerCapture)$|Capture$/i,De=0,Ie=Je(!1),Re=Je(!0),Wt=0;var fe,P,Me,ut,ke=0,gt=[],D=T,dt=D.__b,pt=D.__r,_t=D.diffed,ft=D.__c,mt=D.unmount,yt=D.__;function qe(e,t){D.__h&&D.__h(P,e,ke||t),ke=0;var n=P.__H||(P.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function y(e){return ke=1,zt(wt,e)}function zt(e,t,n){var o=qe(fe++,2);if(o.t=e,!o.__c&&(o.__=[n?n(t):wt(void 0,t),function(u){var l=o.__N?o.__N[0]:o.__[0],i=o.t(l,u);l!==i&&(o.__N=[i,o.__[1]],o.__c.setState({}))}],o.__c=P,!P.__f)){var s=function(u,l,i){if(!o.__c.__H)return!0;var d=o.__c.__H.__.filter(function(p){return!!p.__c});if(d.every(function(p){return!p.__N}))return!r||r.call(this,u,l,i);var a=o.__c.props!==u;return d.forEach(function(p){if(p.__N){var f=p.__[0];p.__=p.__N,p.__N=void 0,f!==p.__[0]&&(a=!0)}}),r&&r.call(this,u,l,i)||a};P.__f=!0;var r=P.shouldComponentUpdate,c=P.componentWillUpdate;P.componentWillUpdate=function(u,l,i){if(this.__e){var d=r;r=void 0,s(u,l,i),r=d}c&&c.call(this,u,l,i)},P.shouldComponentUpdate=s}return o.__N||o.__}function F(e,t){var n=qe(fe++,3);!D.__s&&$t(n.__H,t)&&(n.__=e,n.u=t,P.__H.__h.push(n))}function bt(e){return ke=5,Qt(function(){return{current:e}},[])}function Qt(e,t){var n=qe(fe++,7);return $t(n.__H,t)&&(n.__=e(),n.__H=t,n.__h=e),n.__}function Kt(){for(var e;e=gt.shift();)if(e.__P&&e.__H)try{e.__H.__h.forEach(Te),e.__H.__h.forEach(Ue),e.__H.__h=[]}catch(t){e.__H.__h=[],D.__e(t,e.__v)}}D.__b=function(e){P=null,dt&&dt(e)},D.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),yt&&yt(e,t)},D.__r=function(e){pt&&pt(e),fe=0;var t=(P=e.__c).__H;t&&(Me===P?(t.__h=[],P.__h=[],t.__.forEach(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(t.__h.forEach(Te),t.__h.forEach(Ue),t.__h=[],fe=0)),Me=P},D.diffed=function(e){_t&&_t(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&(gt.push(t)!==1&&ut===D.requestAnimationFrame||((ut=D.requestAnimationFrame)||Jt)(Kt)),t.__H.__.forEach(function(n){n.u&&(n.__H=n.u),n.u=void 0})),Me=P=null},D.__c=function(e,t){t.some(function(n){try{n.__h.forEach(Te),n.__h=n.__h.filter(function(o){return!o.__||Ue(o)})}catch(o){t.some(function(s){s.__h&&(s.__h=[])}),t=[],D.__e(o,n.__v)}}),ft&&ft(e,t)},D.unmount=function(e){mt&&mt(e);var t,n=e.__c;n&&n.__H&&(n.__H.__.forEach(function(o){try{Te(o)}catch(s){t=s}}),n.__H=void 0,t&&D.__e(t,n.__v))};var ht=typeof requestAnimationFrame=="function";function Jt(e){var t,n=function(){clearTimeout(o),ht&&cancelAnimationFrame(t),setTimeout(e)},o=setTimeout(n,35);ht&&(t=requestAnimationFrame(n))}function Te(e){var t=P,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),P=t}function Ue(e){var t=P;e.__c=e.__(),P=t}function $t(e,t){return!e||e.length!==t.length||t.some(function(n,o){return n!==e[o]})}function wt(e,t){return typeof t=="function"?t(e):t}function B(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function ee(e){return B(e)==="object"}function Xt(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function He(e,t){return e.length<124?e:t}var vt="graphql-transport-ws";var G=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(G||{}),V=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(V||{});function St(e){if(!ee(e))throw new Error(`Message is expected to be an object, but got ${B(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${B(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${B(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${B(e.payload.query)}`);if(e.payload.variables!=null&&!ee(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${B(e.payload.variables)}`);if(e.payload.operationName!=null&&B(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${B(e.payload.operationName)}`);if(e.payload.extensions!=null&&!ee(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${B(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!ee(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${B(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!Xt(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function Ct(e,t){return St(typeof e=="string"?JSON.parse(e,t):e)}function ce(e,t){return St(e),JSON.stringify(e,t)}function Be(e){let{url:t,connectionParams:n,lazy:o=!0,onNonLazyError:s=console.error,lazyCloseTimeout:r=0,keepAlive:c=0,disablePong:u,connectionAckWaitTimeout:l=0,retryAttempts:i=5,retryWait:d=async function(k){let w=Math.pow(2,k);await new Promise(E=>setTimeout(E,w*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:a=We,on:p,webSocketImpl:f,generateID:b=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,k=>{let w=Math.random()*16|0;return(k=="x"?w:w&3|8).toString(16)})},jsonMessageReplacer:$,jsonMessageReviver:v}=e,m;if(f){if(!en(f))throw new Error("Invalid WebSocket implementation provided");m=f}else typeof WebSocket<"u"?m=WebSocket:typeof global<"u"?m=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(m=window.WebSocket||window.MozWebSocket);if(!m)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let g=m,h=(()=>{let S=(()=>{let w={};return{on(E,R){return w[E]=R,()=>{delete w[E]}},emit(E){"id"in E&&w[E.id]?.(E)}}})(),k={connecting:p?.connecting?[p.connecting]:[],opened:p?.opened?[p.opened]:[],connected:p?.connected?[p.connected]:[],ping:p?.ping?[p.ping]:[],pong:p?.pong?[p.pong]:[],message:p?.message?[S.emit,p.message]:[S.emit],closed:p?.closed?[p.closed]:[],error:p?.error?[p.error]:[]};return{onMessage:S.on,on(w,E){let R=k[w];return R.push(E),()=>{R.splice(R.indexOf(E),1)}},emit(w,...E){for(let R of[...k[w]])R(...E)}}})();function N(S){let k=[h.on("error",w=>{k.forEach(E=>E()),S(w)}),h.on("closed",w=>{k.forEach(E=>E()),S(w)})]}let C,A=0,J,z=!1,Q=0,oe=!1;async function j(){clearTimeout(J);let[S,k]=await(C??(C=new Promise((R,W)=>(async()=>{if(z){if(await d(Q),!A)return C=void 0,W({code:1e3,reason:"All Subscriptions Gone"});Q++}h.emit("connecting",z);let x=new g(typeof t=="function"?await t():t,vt),re,pe;function $e(){isFinite(c)&&c>0&&(clearTimeout(pe),pe=setTimeout(()=>{x.readyState===g.OPEN&&(x.send(ce({type:V.Ping})),h.emit("ping",!1,void 0))},c))}N(M=>{C=void 0,clearTimeout(re),clearTimeout(pe),W(M),M instanceof me&&(x.close(4499,"Terminated"),x.onerror=null,x.onclose=null)}),x.onerror=M=>h.emit("error",M),x.onclose=M=>h.emit("closed",M),x.onopen=async()=>{try{h.emit("opened",x);let M=typeof n=="function"?await n():n;if(x.readyState!==g.OPEN)return;x.send(ce(M?{type:V.ConnectionInit,payload:M}:{type:V.ConnectionInit},$)),isFinite(l)&&l>0&&(re=setTimeout(()=>{x.close(G.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},l)),$e()}catch(M){h.emit("error",M),x.close(G.InternalClientError,He(M instanceof Error?M.message:String(M),"Internal client error"))}};let se=!1;x.onmessage=({data:M})=>{try{let O=Ct(M,v);if(h.emit("message",O),O.type==="ping"||O.type==="pong"){h.emit(O.type,!0,O.payload),O.type==="pong"?$e():u||(x.send(ce(O.payload?{type:V.Pong,payload:O.payload}:{type:V.Pong})),h.emit("pong",!1,O.payload));return}if(se)return;if(O.type!==V.ConnectionAck)throw new Error(`First message cannot be of type ${O.type}`);clearTimeout(re),se=!0,h.emit("connected",x,O.payload,z),z=!1,Q=0,R([x,new Promise((mn,Mt)=>N(Mt))])}catch(O){x.onmessage=null,h.emit("error",O),x.close(G.BadResponse,He(O instanceof Error?O.message:String(O),"Bad response"))}}})())));S.readyState===g.CLOSING&&await k;let w=()=>{},E=new Promise(R=>w=R);return[S,w,Promise.race([E.then(()=>{if(!A){let R=()=>S.close(1e3,"Normal Closure");isFinite(r)&&r>0?J=setTimeout(()=>{S.readyState===g.OPEN&&R()},r):R()}}),k])]}function X(S){if(We(S)&&(Zt(S.code)||[G.InternalServerError,G.InternalClientError,G.BadRequest,G.BadResponse,G.Unauthorized,G.SubprotocolNotAcceptable,G.SubscriberAlreadyExists,G.TooManyInitialisationRequests].includes(S.code)))throw S;if(oe)return!1;if(We(S)&&S.code===1e3)return A>0;if(!i||Q>=i||!a(S))throw S;return z=!0}o||(async()=>{for(A++;;)try{let[,,S]=await j();await S}catch(S){try{if(!X(S))return}catch(k){return s?.(k)}}})();function Ye(S,k){let w=b(S),E=!1,R=!1,W=()=>{A--,E=!0};return(async()=>{for(A++;;)try{let[x,re,pe]=await j();if(E)return re();let $e=h.onMessage(w,se=>{switch(se.type){case V.Next:{k.next(se.payload);return}case V.Error:{R=!0,E=!0,k.error(se.payload),W();return}case V.Complete:{E=!0,W();return}}});x.send(ce({id:w,type:V.Subscribe,payload:S},$)),W=()=>{!E&&x.readyState===g.OPEN&&x.send(ce({id:w,type:V.Complete},$)),A--,E=!0,re()},await pe.finally($e);return}catch(x){if(!X(x))return}})().then(()=>{R||k.complete()}).catch(x=>{k.error(x)}),()=>{E||W()}}return{on:h.on,subscribe:Ye,iterate(S){let k=[],w={done:!1,error:null,resolve:()=>{}},E=Ye(S,{next(W){k.push(W),w.resolve()},error(W){w.done=!0,w.error=W,w.resolve()},complete(){w.done=!0,w.resolve()}}),R=(async function*(){for(;;){for(k.length||await new Promise(x=>w.resolve=x);k.length;)yield k.shift();if(w.error)throw w.error;if(w.done)return}})();return R.throw=async W=>(w.done||(w.done=!0,w.error=W,w.resolve()),{done:!0,value:void 0}),R.return=async()=>(E(),{done:!0,value:void 0}),R},async dispose(){if(oe=!0,C){let[S]=await C;S.close(1e3,"Normal Closure")}},terminate(){C&&h.emit("closed",new me)}}}var me=class extends Error{constructor(){super(...arguments);ie(this,"name","TerminatedCloseEvent");ie(this,"message","4499: Terminated");ie(this,"code",4499);ie(this,"reason","Terminated");ie(this,"wasClean",!1)}};function We(e){return ee(e)&&"code"in e&&"reason"in e}function Zt(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function en(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}var he=class extends Error{constructor(t,n){super(t),this.code=n}},U="error { code message field retryAfterSeconds attemptsLeft }",je="id name method email createdAt lastUsedAt",ye="id method status name email expiresAt attemptsLeft resendAvailableAt",Et=`enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { ${je} }`,At={session:`query Session {
    session { nextStep expiresAt user { id email name isAdmin } authenticators { id name method } }
  }`,login:`mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      session { nextStep user { id email name isAdmin } }
      authenticators { id name method }
      ${U}
    }
  }`,logout:"mutation Logout { logout { ok } }",sendLoginCode:`mutation SendLoginCode($id: ID!) {
    sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt ${U} }
  }`,verifyLogin:`mutation VerifyLogin($id: ID!, $code: String!) {
    verifyLogin(authenticatorId: $id, code: $code) { session { nextStep user { id email name isAdmin } } ${U} }
  }`,verifyRecoveryCode:`mutation VerifyRecoveryCode($code: String!) {
    verifyLoginWithRecoveryCode(code: $code) { session { nextStep user { id email name isAdmin } } ${U} }
  }`,myTwoFactor:`query MyTwoFactor { myTwoFactor { ${Et} } }`,setUpEmail:`mutation SetUpEmail($name: String!, $code: String) {
    myTwoFactor { setUpEmail(name: $name, code: $code) { setup { ${ye} } ${U} } }
  }`,setUpApp:`mutation SetUpApp($code: String) {
    myTwoFactor { setUpApp(code: $code) {
      setup { ${ye} app { setupKey otpauthUri qrCodePng digits period } } ${U}
    } }
  }`,resendCode:`mutation ResendCode($setupId: ID!) {
    myTwoFactor { resendCode(setupId: $setupId) { setup { ${ye} } ${U} } }
  }`,submitCode:`mutation SubmitCode($setupId: ID!, $code: String!, $name: String) {
    myTwoFactor { submitCode(setupId: $setupId, code: $code, name: $name) {
      authenticator { ${je} } message recoveryCodes setup { ${ye} } ${U}
    } }
  }`,cancelSetup:`mutation CancelSetup($setupId: ID!) {
    myTwoFactor { cancelSetup(setupId: $setupId) { setup { id status } ${U} } }
  }`,edit:`mutation Edit($id: ID!, $name: String!) {
    myTwoFactor { edit(id: $id, name: $name) { authenticator { ${je} } ${U} } }
  }`,remove:`mutation Remove($id: ID!, $code: String) {
    myTwoFactor { remove(id: $id, code: $code) { removedId ${U} } }
  }`,regenerate:`mutation RegenerateRecoveryCodes($code: String) {
    myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes ${U} } }
  }`,mySessions:"query MySessions { mySessions { id device ip createdAt lastSeenAt current nextStep } }",endSession:`mutation EndSession($id: ID!) { endSession(id: $id) { endedIds ${U} } }`,endOtherSessions:`mutation EndOtherSessions { endOtherSessions { endedIds ${U} } }`,verification:`subscription Verification($setupId: ID!) {
    myTwoFactorVerification(setupId: $setupId) { ${ye} }
  }`,changed:`subscription Changed { myTwoFactorChanged { ${Et} } }`,policy:"query Policy { twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }",setPolicy:`mutation SetPolicy($input: TwoFactorPolicyInput!) {
    admin { setTwoFactorPolicy(input: $input) { policy { mandatory enabledMethods recoveryCodesEnabled } ${U} } }
  }`,userByEmail:"query UserByEmail($email: String!) { admin { user(email: $email) { id email name isAdmin } } }",resetUser:`mutation ResetUser($userId: ID!, $code: String) {
    admin { resetUserTwoFactor(userId: $userId, code: $code) { user { id email } ${U} } }
  }`,auditEvents:`query AuditEvents($after: String) {
    admin { auditEvents(first: 20, after: $after) {
      events { id action createdAt actorId targetId ip details } nextCursor
    } }
  }`};async function q(e,t={}){let n;try{n=await fetch("/graphql",{method:"POST",credentials:"same-origin",headers:{"Content-Type":"application/json",Accept:"application/json"},body:JSON.stringify({query:At[e],variables:t})})}catch{throw new he("The server cannot be reached. Check your connection and try again.","NETWORK")}let o;try{o=await n.json()}catch{throw new he(`The server answered ${n.status}. Try again shortly.`,"SERVER")}if(o.errors&&o.errors.length){let s=o.errors[0],r=s.extensions&&s.extensions.code||"SERVER";throw new he(s.message,r)}return o.data}var le=null;function tn(){if(le===null){let e=window.location.protocol==="https:"?"wss://":"ws://";le=Be({url:e+window.location.host+"/graphql",lazy:!0,retryAttempts:5,shouldRetry:t=>!(t&&typeof t.code=="number"&&t.code>=4400&&t.code<4500)})}return le}function Ge(e,t,n,o){return tn().subscribe({query:At[e],variables:t},{next:s=>{s.data&&n(s.data)},error:()=>o&&o(),complete:()=>o&&o()})}function Ve(){le!==null&&(le.dispose(),le=null)}var Tt=function(e,t,n,o){var s;t[0]=0;for(var r=1;r<t.length;r++){var c=t[r++],u=t[r]?(t[0]|=c?1:2,n[t[r++]]):t[++r];c===3?o[0]=u:c===4?o[1]=Object.assign(o[1]||{},u):c===5?(o[1]=o[1]||{})[t[++r]]=u:c===6?o[1][t[++r]]+=u+"":c?(s=e.apply(u,Tt(e,u,n,["",null])),o.push(s),u[0]?t[0]|=2:(t[r-2]=0,t[r]=s)):o.push(u)}return o},xt=new Map;function kt(e){var t=xt.get(this);return t||(t=new Map,xt.set(this,t)),(t=Tt(this,t.get(e)||(t.set(e,t=(function(n){for(var o,s,r=1,c="",u="",l=[0],i=function(p){r===1&&(p||(c=c.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?l.push(0,p,c):r===3&&(p||c)?(l.push(3,p,c),r=2):r===2&&c==="..."&&p?l.push(4,p,0):r===2&&c&&!p?l.push(5,0,!0,c):r>=5&&((c||!p&&r===5)&&(l.push(r,0,c,s),r=6),p&&(l.push(r,p,0,s),r=6)),c=""},d=0;d<n.length;d++){d&&(r===1&&i(),i(d));for(var a=0;a<n[d].length;a++)o=n[d][a],r===1?o==="<"?(i(),l=[l],r=3):c+=o:r===4?c==="--"&&o===">"?(r=1,c=""):c=o+c[0]:u?o===u?u="":c+=o:o==='"'||o==="'"?u=o:o===">"?(i(),r=1):r&&(o==="="?(r=5,s=c,c=""):o==="/"&&(r<5||n[d][a+1]===">")?(i(),r===3&&(l=l[0]),r=l,(l=l[0]).push(2,0,r),r=0):o===" "||o==="	"||o===`
`||o==="\r"?(i(),r=2):c+=o),r===3&&c==="!--"&&(r=4,l=l[0])}return i(),l})(e)),t),arguments,[])).length>1?t:t[0]}var _=kt.bind(Ne),It={EMAIL:"Email",APP:"Authenticator app"};function te(e){return e?new Date(e).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):"Never"}function ge(e){let t=()=>e?Math.max(0,Math.ceil((e.getTime()-Date.now())/1e3)):0,[n,o]=y(t());return F(()=>{if(o(t()),!e)return;let s=setInterval(()=>{let r=t();o(r),r===0&&clearInterval(s)},1e3);return()=>clearInterval(s)},[e&&e.getTime()]),n}function nn(e){return e?new Date(Date.now()+e*1e3):null}function L(e){return e?{code:e.code,message:e.message,retryAt:nn(e.retryAfterSeconds),attemptsLeft:e.attemptsLeft}:null}function I({error:e}){let t=ge(e?e.retryAt:null);return e?_`<p class="error" role="alert">
    ${e.message}
    ${t>0?_` <span class="wait">Try again in ${t} s.</span>`:null}
    ${e.attemptsLeft!=null&&e.attemptsLeft>0?_` <span class="attempts">${e.attemptsLeft} ${e.attemptsLeft===1?"try":"tries"} left.</span>`:null}
  </p>`:null}function H({id:e,label:t,hint:n,...o}){return _`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${e} ...${o} aria-describedby=${n?`${e}-hint`:void 0} />
    ${n?_`<p class="hint" id=${`${e}-hint`}>${n}</p>`:null}
  </div>`}var be={inputmode:"numeric",autocomplete:"one-time-code",pattern:"[0-9 ]*",maxlength:8,required:!0};async function Y(e,t,n){try{let o=n(await q(e,t));return o.error?{error:L(o.error)}:{payload:o}}catch(o){return{error:L(o)}}}var K=e=>t=>t.myTwoFactor[e];function Rt({user:e,step:t,onSessionChanged:n}){let[o,s]=y(null),[r,c]=y(null),[u,l]=y(null),[i,d]=y(null),[a,p]=y(null);async function f(){try{s((await q("myTwoFactor")).myTwoFactor),c(null)}catch($){$.code==="FORBIDDEN"||$.code==="UNAUTHENTICATED"?n():c(L($))}}if(F(()=>{f()},[]),F(()=>{if(t==="DONE")return Ge("changed",{},$=>s($.myTwoFactorChanged),n)},[t]),r)return _`<section class="card"><${I} error=${r} /></section>`;if(o===null)return _`<p role="status">Loading…</p>`;function b($){l(null),p($.message),$.recoveryCodes&&d($.recoveryCodes),f(),t!=="DONE"&&n()}return _`<section class="card" aria-labelledby="your-2fa-title">
    <h1 id="your-2fa-title">Your 2FA</h1>
    <p>
      ${o.enabled?"Two-factor authentication is on.":"Two-factor authentication is off."}
      ${o.mandatory?" Your administrators require it.":""}
    </p>
    ${o.setupRequired?_`<p class="notice" role="status">Set up two-factor authentication to continue using your account.</p>`:null}
    ${a?_`<p class="success" role="status">${a}</p>`:null}
    ${i?_`<${cn} codes=${i} onDone=${()=>d(null)} />`:null}

    <h2>Authenticators</h2>
    ${o.authenticators.length?_`<ul class="authenticators" aria-label="Your authenticators">
          ${o.authenticators.map($=>_`<${rn} key=${$.id} authenticator=${$} all=${o.authenticators}
              onChanged=${f} onNotice=${p} />`)}
        </ul>`:_`<p class="muted">No authenticators yet.</p>`}

    <h2>Add an authenticator</h2>
    ${u===null?_`<div class="row">
          ${o.availableMethods.includes("EMAIL")?_`<button type="button" onClick=${()=>{p(null),l("EMAIL")}}>Email Authentication</button>`:null}
          ${o.availableMethods.includes("APP")?_`<button type="button" onClick=${()=>{p(null),l("APP")}}>Authenticator App</button>`:null}
          ${o.availableMethods.length===0?_`<p class="muted">Your administrators have turned off every method.</p>`:null}
        </div>`:u==="EMAIL"?_`<${sn} user=${e} authenticators=${o.authenticators} onCreated=${b} onCancel=${()=>l(null)} />`:_`<${an} authenticators=${o.authenticators} onCreated=${b} onCancel=${()=>l(null)} />`}

    ${o.enabled?_`<h2>Recovery codes</h2>
        <p>${o.recoveryCodesRemaining} unused recovery ${o.recoveryCodesRemaining===1?"code":"codes"} left.</p>
        <${ln} authenticators=${o.authenticators} onCodes=${$=>{d($),f()}} />`:null}
    ${t==="DONE"?_`<${on} />`:null}
  </section>`}function on(){let[e,t]=y(null),[n,o]=y(null),[s,r]=y(null);async function c(){try{t((await q("mySessions")).mySessions)}catch(i){o(L(i))}}F(()=>{c()},[]);async function u(i,d,a){let p=await Y(i,d,a);if(p.error)o(p.error);else{o(null);let f=p.payload.endedIds.length;r(f===1?"The device was signed out.":`${f} devices were signed out.`),c()}}if(e===null)return _`<${I} error=${n} />`;let l=e.filter(i=>!i.current);return _`<h2>Where you are signed in</h2>
    ${s?_`<p class="success" role="status">${s}</p>`:null}
    <ul class="authenticators sessions" aria-label="Your sessions">
      ${e.map(i=>_`<li class="authenticator" key=${i.id}>
        <div class="details">
          <strong>${i.device}${i.current?_` <span class="badge">This device</span>`:null}</strong>
          <span class="muted">${i.ip||"Unknown address"} · Signed in ${te(i.createdAt)} · Last seen ${te(i.lastSeenAt)}</span>
          ${i.nextStep!=="DONE"?_`<span class="muted">Still signing in</span>`:null}
        </div>
        ${i.current?null:_`<div class="row actions">
          <button type="button" onClick=${()=>u("endSession",{id:i.id},d=>d.endSession)}
            aria-label=${`Sign out ${i.device}, signed in ${te(i.createdAt)}`}>Sign out</button>
        </div>`}
      </li>`)}
    </ul>
    <${I} error=${n} />
    ${l.length?_`<button type="button" onClick=${()=>u("endOtherSessions",{},i=>i.endOtherSessions)}>Sign out all other devices</button>`:null}`}function ue({authenticators:e,error:t,busy:n,onCode:o,onCancel:s}){let r=e.find(i=>i.method==="EMAIL"),[c,u]=y(null);async function l(){let i=await Y("sendLoginCode",{id:r.id},d=>d.sendLoginCode);u(i.error?i.error:{message:"We emailed you a code."})}return _`<form class="fresh" onSubmit=${i=>{i.preventDefault(),o(new FormData(i.currentTarget).get("fresh-code"))}}>
    <p>For your security, confirm it is you: enter a current code from one of your authenticators, or a recovery code.</p>
    ${r?_`<p><button type="button" onClick=${l}>Email me a code</button>
      ${c?_` <span role="status">${c.message}</span>`:null}</p>`:null}
    <${H} id="fresh-code" label="Current code" autocomplete="one-time-code" required maxlength="20" />
    <${I} error=${t} />
    <div class="row">
      <button type="submit" class="primary" disabled=${n}>Confirm</button>
      <button type="button" onClick=${s}>Cancel</button>
    </div>
  </form>`}function de(e){let[t,n]=y({needCode:!1,error:null,busy:!1});async function o(s){n({...t,busy:!0,error:null});let r=await e(s||null);return r.error&&r.error.code==="FRESH_CODE_REQUIRED"?(n({needCode:!0,error:s?r.error:null,busy:!1}),null):(n({needCode:t.needCode&&!!r.error,error:r.error||null,busy:!1}),r.error?null:r.payload)}return[t,o,()=>n({needCode:!1,error:null,busy:!1})]}function rn({authenticator:e,all:t,onChanged:n,onNotice:o}){let[s,r]=y(!1),[c,u]=y(null),[l,i]=y(!1),[d,a,p]=de(v=>Y("remove",{id:e.id,code:v},K("remove"))),f=`name-${e.id}`;async function b(v){v.preventDefault();let m=new FormData(v.currentTarget).get(f),g=await Y("edit",{id:e.id,name:m},K("edit"));g.error?u(g.error):(r(!1),u(null),o("The authenticator was renamed."),n())}async function $(v){await a(v)&&(o(`"${e.name}" was removed.`),n())}return _`<li class="authenticator">
    <div class="details">
      <strong>${e.name}</strong>
      <span class="muted">${It[e.method]||e.method}${e.email?` \xB7 ${e.email}`:""}</span>
      <span class="muted">Added ${te(e.createdAt)} · Last used ${te(e.lastUsedAt)}</span>
    </div>
    ${s?_`<form class="row" onSubmit=${b}>
          <${H} id=${f} label="New name" value=${e.name} maxlength="64" required />
          <button type="submit" class="primary">Save</button>
          <button type="button" onClick=${()=>{r(!1),u(null)}}>Cancel</button>
          <${I} error=${c} />
        </form>`:l?d.needCode?_`<${ue} authenticators=${t} error=${d.error} busy=${d.busy}
              onCode=${$} onCancel=${()=>{i(!1),p()}} />`:_`<div class="row">
              <span>Remove "${e.name}"?</span>
              <button type="button" class="danger" onClick=${()=>$(null)} disabled=${d.busy}>Yes, remove</button>
              <button type="button" onClick=${()=>{i(!1),p()}}>Cancel</button>
              <${I} error=${d.error} />
            </div>`:_`<div class="row actions">
            <button type="button" onClick=${()=>r(!0)} aria-label=${`Edit ${e.name}`}>Edit</button>
            <button type="button" onClick=${()=>i(!0)} aria-label=${`Remove ${e.name}`}>Remove</button>
          </div>`}
  </li>`}var Pt={PENDING:"Sending the code\u2026",CODE_SENT:"We emailed you a code. It is valid for 10 minutes.",DELIVERY_FAILED:"We could not deliver the code. Send it again.",VERIFIED:"Verified.",EXPIRED:"The code expired. Start again.",LOCKED:"Too many wrong codes. Start again.",CANCELLED:"This set-up was cancelled."},Dt=new Set(["EXPIRED","LOCKED","CANCELLED"]);function Lt(e){let[t,n]=y(e);return F(()=>{if(e)return n(e),Ge("verification",{setupId:e.id},o=>n(o.myTwoFactorVerification))},[e&&e.id]),[t,n]}function sn({user:e,authenticators:t,onCreated:n,onCancel:o}){let[s,r]=y(""),[c,u]=y(null),[l,i]=Lt(c),[d,a]=y(null),[p,f]=y(!1),[b,$]=de(C=>Y("setUpEmail",{name:s,code:C},K("setUpEmail"))),v=ge(l&&l.resendAvailableAt?new Date(l.resendAvailableAt):null);async function m(C){C.preventDefault();let A=await $(null);A&&u(A.setup)}async function g(){let C=await Y("resendCode",{setupId:l.id},K("resendCode"));C.error?a(C.error):(a(null),i(C.payload.setup))}async function h(C){C.preventDefault(),f(!0);let A=new FormData(C.currentTarget).get("email-code"),J=await Y("submitCode",{setupId:l.id,code:A},K("submitCode"));f(!1),J.error?a(J.error):n(J.payload)}if(!l)return _`<div class="setup" aria-labelledby="email-setup-title">
      <h3 id="email-setup-title">Email Authentication</h3>
      ${b.needCode?_`<${ue} authenticators=${t} error=${b.error} busy=${b.busy}
            onCode=${async C=>{let A=await $(C);A&&u(A.setup)}} onCancel=${o} />`:_`<form onSubmit=${m}>
            <${H} id="email-name" label="Name" value=${s} onInput=${C=>r(C.currentTarget.value)}
              maxlength="64" required hint="For example: Work email" />
            <${H} id="email-address" label="Email" value=${e.email} readonly
              hint="Codes go to the address you sign in with." />
            <${I} error=${b.error} />
            <div class="row">
              <button type="submit" class="primary" disabled=${b.busy}>Send code</button>
              <button type="button" onClick=${o}>Cancel</button>
            </div>
          </form>`}
    </div>`;let N=Dt.has(l.status);return _`<div class="setup" aria-labelledby="email-setup-title">
    <h3 id="email-setup-title">Email Authentication</h3>
    <p role="status" aria-live="polite" class=${`status status-${l.status.toLowerCase()}`} data-status=${l.status}>
      ${Pt[l.status]||l.status}
    </p>
    ${N?_`<button type="button" onClick=${o}>Close</button>`:_`<form onSubmit=${h}>
          <${H} id="email-code" label="Code from the email" ...${be} />
          <${I} error=${d} />
          <div class="row">
            <button type="submit" class="primary" disabled=${p}>Submit Code and Create</button>
            <button type="button" onClick=${g} disabled=${v>0}>
              ${v>0?`Resend code (${v} s)`:"Resend code"}
            </button>
            <button type="button" onClick=${async()=>{await Y("cancelSetup",{setupId:l.id},K("cancelSetup")),o()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function an({authenticators:e,onCreated:t,onCancel:n}){let[o,s]=y(null),[r]=Lt(o),[c,u]=y(null),[l,i]=y(!1),[d,a]=y(!1),[p,f]=de(m=>Y("setUpApp",{code:m},K("setUpApp")));F(()=>{f(null).then(m=>m&&s(m.setup))},[]);async function b(){try{await navigator.clipboard.writeText(o.app.setupKey.replace(/\s+/g,"")),i(!0)}catch{i(!1)}}async function $(m){m.preventDefault();let g=new FormData(m.currentTarget);a(!0);let h=await Y("submitCode",{setupId:o.id,code:g.get("app-code"),name:g.get("app-name")},K("submitCode"));a(!1),h.error?u(h.error):t(h.payload)}if(p.needCode)return _`<div class="setup"><h3>Authenticator App</h3>
      <${ue} authenticators=${e} error=${p.error} busy=${p.busy}
        onCode=${async m=>{let g=await f(m);g&&s(g.setup)}} onCancel=${n} /></div>`;if(!o)return _`<div class="setup"><h3>Authenticator App</h3>
      ${p.error?_`<${I} error=${p.error} /><button type="button" onClick=${n}>Close</button>`:_`<p role="status">Preparing…</p>`}</div>`;let v=r&&Dt.has(r.status);return _`<div class="setup" aria-labelledby="app-setup-title">
    <h3 id="app-setup-title">Authenticator App</h3>
    <ol class="steps">
      <li>Scan the QR code with your authenticator app.
        <img class="qr" src=${o.app.qrCodePng} width="200" height="200"
          alt="QR code to scan with your authenticator app" /></li>
      <li>Or type the setup key:
        <code class="setup-key" data-testid="setup-key">${o.app.setupKey}</code>
        <button type="button" onClick=${b}>${l?"Copied":"Copy key"}</button></li>
      <li>Name it and enter the ${o.app.digits}-digit code the app shows.</li>
    </ol>
    ${v?_`<p role="status">${Pt[r.status]}</p><button type="button" onClick=${n}>Close</button>`:_`<form onSubmit=${$}>
          <${H} id="app-name" label="Name" maxlength="64" required hint="For example: My phone" />
          <${H} id="app-code" label="Code from your app" ...${be} />
          <${I} error=${c} />
          <div class="row">
            <button type="submit" class="primary" disabled=${d}>Submit Code and Create</button>
            <button type="button" onClick=${async()=>{await Y("cancelSetup",{setupId:o.id},K("cancelSetup")),n()}}>Cancel</button>
          </div>
        </form>`}
  </div>`}function cn({codes:e,onDone:t}){let[n,o]=y(!1),s=e.join(`
`)+`
`,r=URL.createObjectURL(new Blob([s],{type:"text/plain"}));return F(()=>()=>URL.revokeObjectURL(r),[r]),_`<div class="recovery" role="region" aria-labelledby="recovery-title">
    <h2 id="recovery-title">Your recovery codes</h2>
    <p>Each code signs you in once if you lose your authenticators. Save them somewhere safe now: they are not shown again.</p>
    <ul class="codes">${e.map(c=>_`<li><code>${c}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async()=>{await navigator.clipboard.writeText(s),o(!0)}}>
        ${n?"Copied":"Copy codes"}
      </button>
      <a class="button" href=${r} download="twofactor-recovery-codes.txt">Download codes</a>
      <button type="button" class="primary" onClick=${t}>I saved them</button>
    </div>
  </div>`}function ln({authenticators:e,onCodes:t}){let[n,o]=y(!1),[s,r,c]=de(l=>Y("regenerate",l?{code:l}:{},K("regenerateRecoveryCodes")));async function u(l){let i=await r(l);i&&(o(!1),c(),t(i.recoveryCodes))}return s.needCode?_`<${ue} authenticators=${e} error=${s.error} busy=${s.busy}
      onCode=${u} onCancel=${()=>{o(!1),c()}} />`:n?_`<div class="row">
    <span>New codes replace all the old ones.</span>
    <button type="button" class="danger" onClick=${()=>u(null)} disabled=${s.busy}>Regenerate</button>
    <button type="button" onClick=${()=>o(!1)}>Cancel</button>
    <${I} error=${s.error} />
  </div>`:_`<button type="button" onClick=${()=>o(!0)}>Regenerate recovery codes</button>`}function Nt(){let[e,t]=y(0),n=()=>t(o=>o+1);return _`<section class="card" aria-labelledby="admin-title">
    <h1 id="admin-title">Administration</h1>
    <${un} onChanged=${n} />
    <${dn} onChanged=${n} />
    <${pn} changes=${e} />
  </section>`}function un({onChanged:e}){let[t,n]=y(null),[o,s]=y(null),[r,c]=y(!1);F(()=>{q("policy").then(l=>n(l.twoFactorPolicy),l=>s(L(l)))},[]);async function u(l){l.preventDefault();let i=new FormData(l.currentTarget),d={mandatory:i.get("mandatory")==="on",enabledMethods:["EMAIL","APP"].filter(a=>i.get(`method-${a}`)==="on"),recoveryCodesEnabled:i.get("recovery")==="on"};c(!1);try{let a=(await q("setPolicy",{input:d})).admin.setTwoFactorPolicy;a.error?s(L(a.error)):(n(a.policy),s(null),c(!0),e())}catch(a){s(L(a))}}return t===null?_`<${I} error=${o} />`:_`<form onSubmit=${u} aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    <label class="choice"><input type="checkbox" name="mandatory" checked=${t.mandatory} /> Two-factor authentication is mandatory</label>
    <fieldset>
      <legend>Methods users may set up</legend>
      <label class="choice"><input type="checkbox" name="method-EMAIL" checked=${t.enabledMethods.includes("EMAIL")} /> Email</label>
      <label class="choice"><input type="checkbox" name="method-APP" checked=${t.enabledMethods.includes("APP")} /> Authenticator app</label>
    </fieldset>
    <label class="choice"><input type="checkbox" name="recovery" checked=${t.recoveryCodesEnabled} /> Recovery codes</label>
    <${I} error=${o} />
    ${r?_`<p class="success" role="status">The policy was saved.</p>`:null}
    <button type="submit" class="primary">Save policy</button>
  </form>`}function dn({onChanged:e}){let[t,n]=y(null),[o,s]=y(null),[r,c]=y(null),[u,l,i]=de(async p=>{try{let f=(await q("resetUser",{userId:t.id,code:p})).admin.resetUserTwoFactor;return f.error?{error:L(f.error)}:{payload:f}}catch(f){return{error:L(f)}}});async function d(p){p.preventDefault(),c(null),s(null);let f=new FormData(p.currentTarget).get("reset-email");try{let b=(await q("userByEmail",{email:f})).admin.user;n(b),b||s({message:"No user has that email address."})}catch(b){s(L(b))}}async function a(p){await l(p)&&(c(`The two-factor authentication of ${t.email} was reset. They can sign in with their password and set it up again.`),n(null),i(),e())}return _`<div aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a user's 2FA</h2>
    <p class="muted">For a user who lost access: removes their authenticators and recovery codes and ends their sessions.</p>
    <form class="row" onSubmit=${d}>
      <${H} id="reset-email" label="User's email" type="email" required />
      <button type="submit">Find user</button>
    </form>
    ${t?u.needCode?_`<${ue} authenticators=${[]} error=${u.error} busy=${u.busy}
            onCode=${a} onCancel=${()=>{n(null),i()}} />`:_`<div class="row"><span>${t.name} (${t.email})</span>
            <button type="button" class="danger" onClick=${()=>a(null)} disabled=${u.busy}>Reset 2FA</button></div>
            <${I} error=${u.error} />`:null}
    <${I} error=${o} />
    ${r?_`<p class="success" role="status">${r}</p>`:null}
  </div>`}function pn({changes:e}){let[t,n]=y([null]),[o,s]=y(null),[r,c]=y(null),u=t[t.length-1];return F(()=>{q("auditEvents",{after:u}).then(l=>s(l.admin.auditEvents),l=>c(L(l)))},[u,e]),_`<div aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <${I} error=${r} />
    ${o?_`<div class="table-wrap"><table>
          <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
          <tbody>${o.events.map(l=>_`<tr>
            <td>${te(l.createdAt)}</td><td>${l.action}</td><td>${l.actorId||""}</td><td>${l.targetId||""}</td><td>${l.ip||""}</td>
          </tr>`)}</tbody>
        </table></div>
        <div class="row">
          <button type="button" disabled=${t.length===1} onClick=${()=>n(t.slice(0,-1))}>Newer</button>
          <button type="button" disabled=${!o.nextCursor} onClick=${()=>n([...t,o.nextCursor])}>Older</button>
        </div>`:null}
  </div>`}function Ft({notice:e,onSignedIn:t}){let[n,o]=y(null),[s,r]=y(!1),c=bt(null);F(()=>c.current&&c.current.elements.email.focus(),[]);async function u(l){l.preventDefault();let i=new FormData(l.currentTarget);r(!0),o(null);try{let{login:d}=await q("login",{email:i.get("email"),password:i.get("password")});d.error?o(L(d.error)):t(d)}catch(d){o(L(d))}finally{r(!1)}}return _`<section class="card narrow" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in</h1>
    ${e?_`<p class="notice" role="status">${e}</p>`:null}
    <form onSubmit=${u} ref=${c}>
      <${H} id="email" label="Email" type="email" autocomplete="username" required />
      <${H} id="password" label="Password" type="password" autocomplete="current-password" required />
      <${I} error=${n} />
      <button type="submit" class="primary" disabled=${s}>Sign in</button>
    </form>
  </section>`}function Ot({authenticators:e,notice:t,onPassed:n,onEnded:o}){let[s,r]=y(e.length?e[0].id:null),[c,u]=y(e.length===0),[l,i]=y(null),[d,a]=y(null),[p,f]=y(!1),b=e.find(h=>h.id===s),$=ge(d&&d.resendAt);async function v(h,N,C){f(!0),i(null);try{let A=(await q(h,N))[C];return A.error?(i(L(A.error)),A.error.code==="TOO_MANY_ATTEMPTS"&&o("Too many wrong codes. Sign in again."),null):A}catch(A){return i(L(A)),A.code==="UNAUTHENTICATED"&&o("Your sign-in expired. Sign in again."),null}finally{f(!1)}}async function m(){let h=await v("sendLoginCode",{id:s},"sendLoginCode");h&&a({id:s,resendAt:h.resendAvailableAt?new Date(h.resendAvailableAt):null})}async function g(h){h.preventDefault();let N=new FormData(h.currentTarget).get("code"),C=c?await v("verifyRecoveryCode",{code:N},"verifyLoginWithRecoveryCode"):await v("verifyLogin",{id:s,code:N},"verifyLogin");C&&n(C.session)}return _`<section class="card narrow" aria-labelledby="challenge-title">
    <h1 id="challenge-title">Two-factor authentication</h1>
    ${t?_`<p class="notice" role="status">${t}</p>`:null}
    ${c?_`<p>Enter one of the recovery codes you saved when you set up two-factor authentication.</p>`:_`<fieldset>
          <legend>Verify with</legend>
          ${e.map(h=>_`<label class="choice">
              <input type="radio" name="authenticator" value=${h.id} checked=${h.id===s}
                onChange=${()=>{r(h.id),i(null)}} />
              ${h.name}
            </label>`)}
        </fieldset>`}
    ${!c&&b&&b.method==="EMAIL"?_`<div class="row">
          <button type="button" onClick=${m} disabled=${p||$>0}>
            ${d&&d.id===s?"Send a new code":"Send code"}
          </button>
          <span role="status" class="muted">
            ${d&&d.id===s?"We emailed you a code.":""}
            ${$>0?` You can ask for another in ${$} s.`:""}
          </span>
        </div>`:null}
    <form onSubmit=${g}>
      ${c?_`<${H} id="code" label="Recovery code" autocomplete="off" required maxlength="20" />`:_`<${H} id="code" label=${b&&b.method==="EMAIL"?"Code from the email":"Code from your app"}
            ...${be} />`}
      <${I} error=${l} />
      <button type="submit" class="primary" disabled=${p}>Verify</button>
    </form>
    ${e.length?_`<button type="button" class="link" onClick=${()=>{u(!c),i(null)}}>
          ${c?"Use an authenticator instead":"Use a recovery code"}
        </button>`:null}
    <p class="muted">Lost access to your authenticators and recovery codes? Contact an administrator to reset your two-factor authentication.</p>
  </section>`}function _n(){let[e,t]=y(window.location.hash);return F(()=>{let n=()=>t(window.location.hash);return window.addEventListener("hashchange",n),()=>window.removeEventListener("hashchange",n)},[]),e}function fn(){let[e,t]=y({phase:"loading"}),n=_n();async function o(i={}){try{let{session:d}=await q("session");d?d.nextStep==="TWO_FACTOR_CHALLENGE"?t({phase:"challenge",authenticators:d.authenticators||[],notice:i.challenge}):t(a=>a.phase==="signed-in"&&a.step===d.nextStep?a:{phase:"signed-in",user:d.user,step:d.nextStep}):t({phase:"signed-out",notice:i.ended})}catch(d){t({phase:"signed-out",error:L(d)})}}F(()=>{o()},[]);function s(){Ve(),o({ended:"Your session ended. Sign in again.",challenge:"Two-factor authentication was turned on for your account. Verify it is you to go on."})}function r(i){let d=i.session.nextStep;t(d==="TWO_FACTOR_CHALLENGE"?{phase:"challenge",authenticators:i.authenticators||[]}:{phase:"signed-in",user:i.session.user,step:d})}async function c(){try{await q("logout")}finally{Ve(),t({phase:"signed-out",notice:"You are signed out."})}}F(()=>{let i={"signed-out":"Sign in",challenge:"Two-factor authentication"};document.title=`${i[e.phase]||(n==="#/admin"?"Administration":"Your 2FA")} \xB7 twofactor`},[e.phase,n]);let u;e.phase==="loading"?u=_`<p role="status">Loading…</p>`:e.phase==="signed-out"?u=_`${e.error?_`<${I} error=${e.error} />`:null}
      <${Ft} notice=${e.notice} onSignedIn=${r} />`:e.phase==="challenge"?u=_`<${Ot} authenticators=${e.authenticators} notice=${e.notice}
      onPassed=${i=>t({phase:"signed-in",user:i.user,step:i.nextStep})}
      onEnded=${i=>t({phase:"signed-out",notice:i})} />`:n==="#/admin"&&e.user.isAdmin&&e.step==="DONE"?u=_`<${Nt} />`:u=_`<${Rt} user=${e.user} step=${e.step}
      onSessionChanged=${s} />`;let l=e.phase==="signed-in"?e.user:null;return _`<header class="top">
      <a class="brand" href="#/">twofactor</a>
      ${l?_`<nav aria-label="Main">
            <a href="#/" aria-current=${n!=="#/admin"?"page":void 0}>Your 2FA</a>
            ${l.isAdmin&&e.step==="DONE"?_`<a href="#/admin" aria-current=${n==="#/admin"?"page":void 0}>Administration</a>`:null}
            <span class="muted who">${l.email}</span>
            <button type="button" onClick=${c}>Sign out</button>
          </nav>`:null}
    </header>
    <main id="main">${u}</main>`}lt(_`<${fn} />`,document.getElementById("app"));
